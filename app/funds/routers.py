"""The funds routers, in the order they appear in the API docs."""

from app.funds.reports_router import router as reports_router
from app.funds.router import router as funds_router

ROUTERS = [funds_router, reports_router]
