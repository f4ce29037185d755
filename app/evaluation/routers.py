"""The evaluation routers, in the order they appear in the API docs."""

from app.evaluation.campaigns_router import router as campaigns_router
from app.evaluation.rubrics_router import router as rubrics_router
from app.evaluation.satisfaction_router import router as satisfaction_router
from app.evaluation.scores_router import router as scores_router
from app.evaluation.self_inspection_router import router as self_inspection_router

ROUTERS = [rubrics_router, campaigns_router, scores_router, satisfaction_router, self_inspection_router]
