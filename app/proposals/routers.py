"""The proposal routers, in the order they appear in the API docs."""

from app.proposals.assisted_router import router as assisted_router
from app.proposals.attachments_router import router as attachments_router
from app.proposals.public_router import router as public_router
from app.proposals.router import router as proposals_router

ROUTERS = [proposals_router, assisted_router, attachments_router, public_router]
