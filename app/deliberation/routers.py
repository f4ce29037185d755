"""The deliberation routers, in the order they appear in the API docs."""

from app.deliberation.councils_router import router as councils_router
from app.deliberation.meetings_router import router as meetings_router
from app.deliberation.public_router import router as public_router
from app.deliberation.reports_router import router as reports_router

ROUTERS = [meetings_router, councils_router, reports_router, public_router]
