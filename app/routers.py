"""Every domain router, in the order they appear in the API docs."""

from app.health.router import router as health_router

ROUTERS = [health_router]
