"""Public voting endpoints (居务公开): rounds and their ballots, results once counted, receipt checks, recount files."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import PlainTextResponse

from app.common.downloads import content_disposition
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.voting import ballots_service, rounds_service, tally_service
from app.voting.schemas import ReceiptCheck, RoundRead, RoundResultRead
from app.voting.views import round_view

router = APIRouter(prefix="/api/v1/public/voting", tags=["voting"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/rounds", response_model=Page[RoundRead], summary="Public list of voting rounds", responses=problems(422))
async def public_rounds(session: SessionDep, page: Paging, community_id: uuid.UUID | None = None) -> dict:
    """Rounds with their ballots and windows; counts only once a round is closed. No login."""
    result = await paginate(
        session, rounds_service.list_statement(None, community_id=community_id, include_cancelled=False), page
    )
    result["items"] = [round_view(r, await rounds_service.projects_of(session, r.id)) for r in result["items"]]
    return result


@router.get(
    "/rounds/{round_id}",
    response_model=RoundRead,
    summary="Public view of a voting round",
    responses=problems(404, 422),
)
async def public_round(round_id: uuid.UUID, session: SessionDep) -> dict:
    """The projects on the ballot (number, title, cost), the window and rules; counts once closed."""
    rnd = await rounds_service.get_round(session, round_id)
    return round_view(rnd, await rounds_service.projects_of(session, rnd.id))


@router.get(
    "/rounds/{round_id}/result",
    response_model=RoundResultRead,
    summary="Public result of a voting round",
    responses=problems(404, 409, 422),
)
async def public_result(round_id: uuid.UUID, session: SessionDep) -> dict:
    """Votes, cost and why each project was or was not funded; 409 round_not_closed before the count."""
    rnd = await rounds_service.get_round(session, round_id)
    return tally_service.result_view(rnd, await rounds_service.projects_of(session, rnd.id))


@router.get(
    "/rounds/{round_id}/ballots.pb",
    response_class=PlainTextResponse,
    summary="A closed round's ballots as a pabulib file",
    responses=problems(404, 409, 422),
)
async def public_ballots(round_id: uuid.UUID, session: SessionDep) -> PlainTextResponse:
    """Every counted ballot under an id that appears nowhere else (never by voter or receipt), to recount with
    `weishi pb allocate` or pabutools; a voter finds their own line with their receipt code."""
    rnd = await rounds_service.get_round(session, round_id)
    text = await tally_service.recount_file(session, rnd)
    return PlainTextResponse(text, headers={"Content-Disposition": content_disposition(f"round-{rnd.id}.pb")})


@router.get(
    "/receipts/{code}", response_model=ReceiptCheck, summary="Check a ballot receipt", responses=problems(404, 422)
)
async def check_receipt(
    code: Annotated[str, Path(min_length=16, max_length=24, pattern=r"^[A-Za-z2-7-]+$")], session: SessionDep
) -> dict:
    """recorded (not yet counted), counted (with the ballot's line in the public .pb), superseded (a later ballot
    counts) or not_counted; never the choices."""
    return await ballots_service.check_receipt(session, code)
