"""The deliberation routers, in the order they appear in the API docs."""

from app.deliberation.council_router import router as council_router
from app.deliberation.public_router import router as public_router
from app.deliberation.reports_router import router as reports_router
from app.deliberation.router import router as meetings_router

ROUTERS = [meetings_router, council_router, reports_router, public_router]
