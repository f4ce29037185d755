"""The proposal routers, in the order they appear in the API docs."""

from app.proposals.attachments_router import router as attachments_router
from app.proposals.public_router import router as public_router
from app.proposals.router import router as proposals_router

ROUTERS = [proposals_router, attachments_router, public_router]
