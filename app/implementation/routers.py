"""The implementation routers, in the order they appear in the API docs."""

from app.implementation.money_router import router as money_router
from app.implementation.report_router import router as report_router
from app.implementation.router import router as progress_router
from app.implementation.stages_router import router as stages_router

ROUTERS = [progress_router, money_router, stages_router, report_router]
