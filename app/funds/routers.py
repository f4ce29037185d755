"""The funds routers, in the order they appear in the API docs."""

from app.funds.report_router import router as report_router
from app.funds.router import router as funds_router

ROUTERS = [funds_router, report_router]
