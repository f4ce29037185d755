"""HTTP for voting rounds run by staff: set up, change, call off, close and count, results, paper ballots."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, SecretIdempotency
from app.voting import ballots_service, policy, rounds_service, tally_service
from app.voting.deps import BallotKey
from app.voting.schemas import (
    BallotReceipt,
    PaperBallotCreate,
    RoundCancel,
    RoundCreate,
    RoundRead,
    RoundResultRead,
    RoundUpdate,
)
from app.voting.views import receipt, round_view

router = APIRouter(prefix="/api/v1", tags=["voting"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]


WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404, 422)


async def _view(session: SessionDep, rnd) -> dict:
    return round_view(rnd, await rounds_service.projects_of(session, rnd.id))


@router.post(
    "/pilots/{pilot_id}/voting-rounds",
    status_code=status.HTTP_201_CREATED,
    response_model=RoundRead,
    summary="Set up a resident screening vote",
    responses=WRITE,
)
async def create_round(pilot_id: uuid.UUID, body: RoundCreate, session: SessionDep, principal: Organiser) -> dict:
    """Shortlisted proposals of the pilot's community, numbered by submission; budget defaults to the pilot's
    available funds; the programme's ballot rule is copied and cannot change once anyone has voted."""
    return await _view(session, await rounds_service.create_round(session, principal, pilot_id, body))


@router.get("/voting/rounds", response_model=Page[RoundRead], summary="Voting rounds in my region", responses=READ)
async def list_rounds(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    pilot_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
) -> dict:
    """Newest closing first; counts appear only on closed rounds."""
    result = await paginate(
        session, rounds_service.list_statement(principal, pilot_id=pilot_id, community_id=community_id), page
    )
    result["items"] = [await _view(session, rnd) for rnd in result["items"]]
    return result


@router.get("/voting/rounds/{round_id}", response_model=RoundRead, summary="A voting round", responses=READ)
async def read_round(round_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """The round, its ballot, its phase; votes per project only after it is closed."""
    return await _view(session, await rounds_service.round_for(session, principal, round_id, organise=False))


@router.patch(
    "/voting/rounds/{round_id}", response_model=RoundRead, summary="Change a round nobody voted in yet", responses=WRITE
)
async def update_round(round_id: uuid.UUID, body: RoundUpdate, session: SessionDep, principal: Organiser) -> dict:
    """409 round_has_ballots once anyone has voted."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=True, lock="update")
    return await _view(session, await rounds_service.update_round(session, principal, rnd, body))


@router.post("/voting/rounds/{round_id}/cancel", response_model=RoundRead, summary="Call off a round", responses=WRITE)
async def cancel_round(round_id: uuid.UUID, body: RoundCancel, session: SessionDep, principal: Organiser) -> dict:
    """Only before anyone voted; its proposals return to the shortlist."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=True, lock="update")
    return await _view(session, await rounds_service.cancel_round(session, principal, rnd, body.reason))


@router.post(
    "/voting/rounds/{round_id}/close",
    response_model=RoundResultRead,
    summary="Close a round: count and allocate",
    responses=WRITE,
)
async def close_round(round_id: uuid.UUID, session: SessionDep, principal: Organiser) -> dict:
    """From closes_at on: freezes ballots, counts them, runs the programme's allocation rule and stores the
    result with its explanation; selected proposals become 入选, the others 未入选."""
    rnd = await tally_service.close_round(session, principal, round_id)
    return tally_service.result_view(rnd, await rounds_service.projects_of(session, rnd.id))


@router.get(
    "/voting/rounds/{round_id}/result",
    response_model=RoundResultRead,
    summary="A closed round's result",
    responses=problems(401, 403, 404, 409, 422),
)
async def round_result(round_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """409 round_not_closed before the count: nobody sees counts while the round runs."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=False)
    return tally_service.result_view(rnd, await rounds_service.projects_of(session, rnd.id))


@router.post(
    "/voting/rounds/{round_id}/paper-ballots",
    status_code=status.HTTP_201_CREATED,
    response_model=BallotReceipt,
    summary="Enter a paper ballot cast in person",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def enter_paper_ballot(
    round_id: uuid.UUID,
    body: PaperBallotCreate,
    session: SessionDep,
    principal: Organiser,
    idem: SecretIdempotency,
    key: BallotKey,
) -> JSONResponse:
    """Checked against the voter's roll entry, which is marked as having voted on paper; the ballot itself names
    no voter. 409 when they already voted (online or on paper)."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=True, lock="share")
    cast = await ballots_service.cast_paper(
        session, principal, rnd, body.roll_entry_id, body.choices, body.sheet_ref, key
    )
    return await idem.respond(session, status.HTTP_201_CREATED, receipt(cast))
