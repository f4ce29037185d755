"""The review routers, in the order they appear in the API docs."""

from app.review.public_router import router as public_router
from app.review.router import router as staff_router

ROUTERS = [staff_router, public_router]
