"""HTTP for residents: rounds they may vote in, casting (and changing) a ballot, their own ballot."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, SecretIdempotency
from app.voting import ballots_service, rounds_service
from app.voting.deps import BallotKey
from app.voting.schemas import BallotCast, BallotReceipt, MyBallotRead, RoundRead
from app.voting.views import receipt, round_view

router = APIRouter(prefix="/api/v1/voting", tags=["voting"])
Resident = Annotated[Principal, Depends(require_roles(Role.resident))]


@router.get("/my-rounds", response_model=list[RoundRead], summary="Rounds I may vote in", responses=problems(401, 403))
async def my_rounds(session: SessionDep, principal: Resident) -> list[dict]:
    """Rounds (not cancelled) of every community whose roll holds my phone, latest closing first, 50 at most."""
    rounds = await rounds_service.rounds_for_voter_on(await session.connection(), principal.phone_digest)
    return [round_view(rnd, projects) for rnd, projects in rounds]


@router.post(
    "/rounds/{round_id}/ballots",
    status_code=status.HTTP_201_CREATED,
    response_model=BallotReceipt,
    summary="Cast or change my ballot",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def cast_ballot(
    round_id: uuid.UUID,
    body: BallotCast,
    session: SessionDep,
    principal: Resident,
    idem: SecretIdempotency,
    key: BallotKey,
) -> JSONResponse:
    """Choices are project numbers. Casting again before the round closes replaces the ballot (the earlier one
    is kept in history); send an Idempotency-Key so a retry after a lost answer changes nothing. The receipt
    code in the answer is shown once: with it the resident can later check that their ballot was counted and find
    it in the round's public .pb. The ballot names no voter; the roll keeps only that they voted."""
    cast = await ballots_service.cast_online(session, principal, round_id, body.choices, key)
    return await idem.respond(session, status.HTTP_201_CREATED, receipt(cast))


@router.get(
    "/rounds/{round_id}/my-ballot",
    response_model=MyBallotRead,
    summary="My ballot in a round",
    responses=problems(401, 403, 404, 422),
)
async def my_ballot(round_id: uuid.UUID, session: SessionDep, principal: Resident, key: BallotKey) -> dict:
    """Whether I am on the roll, whether and how I voted, and my current choices until the round closes (never
    anyone else's; after the close no one can find them, me included)."""
    return await ballots_service.my_ballot(session, principal, round_id, key)
