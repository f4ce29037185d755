"""The voting routers, in the order they appear in the API docs."""

from app.voting.ballots_router import router as ballots_router
from app.voting.public_router import router as public_router
from app.voting.roll_router import router as roll_router
from app.voting.rounds_router import router as rounds_router

ROUTERS = [roll_router, rounds_router, ballots_router, public_router]
