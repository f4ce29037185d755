"""HTTP for evaluators (staff app) and assessors (users, or API tokens machine to machine): what I am assigned,
my score, saving a draft, submitting and amending it."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.evaluation import campaign_service, progress_service, score_service
from app.evaluation.deps import ScoreReader, ScoreWriter
from app.evaluation.schemas import ConflictDeclaration, MyAssignmentRead, ScoreRead, ScoreWrite
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency

router = APIRouter(prefix="/api/v1/evaluation/campaigns/{campaign_id}", tags=["evaluation"])
Paging = Annotated[PageParams, Depends(page_params)]
SCORE_PATH = "/projects/{proposal_id}/score"


@router.get(
    "/my-assignments",
    response_model=Page[MyAssignmentRead],
    summary="What I am to score",
    responses=problems(401, 403, 404, 422),
)
async def my_assignments(campaign_id: uuid.UUID, session: SessionDep, principal: ScoreReader, page: Paging) -> dict:
    """My assignments (an assessor's: their organisation's) with where each score stands."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id)
    return await progress_service.my_assignments(session, principal, campaign, page)


@router.get(
    SCORE_PATH, response_model=ScoreRead, summary="My score of a project", responses=problems(401, 403, 404, 422)
)
async def read_score(
    campaign_id: uuid.UUID, proposal_id: uuid.UUID, session: SessionDep, principal: ScoreReader
) -> dict:
    """The draft or the submitted version, and the versions amendments replaced; 403 not_assigned."""
    return await score_service.view(session, await score_service.mine(session, principal, campaign_id, proposal_id))


@router.put(
    SCORE_PATH,
    response_model=ScoreRead,
    summary="Save my score as a draft",
    responses=problems(401, 403, 404, 409, 422),
)
async def save_draft(
    campaign_id: uuid.UUID, proposal_id: uuid.UUID, body: ScoreWrite, session: SessionDep, principal: ScoreWriter
) -> dict:
    """Points per criterion, 0 to its maximum, some may be left for later; only during the campaign's window.
    409 score_submitted once submitted (amend by submitting again)."""
    return await score_service.view(
        session, await score_service.save_draft(session, principal, campaign_id, proposal_id, body)
    )


@router.post(
    f"{SCORE_PATH}/submit",
    response_model=ScoreRead,
    summary="Submit (or amend) my score",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def submit(
    campaign_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ScoreWrite,
    session: SessionDep,
    principal: ScoreWriter,
    idem: Idempotency,
) -> JSONResponse:
    """Every criterion scored (422 criteria_missing). Submitting again before the deadline amends the score and
    keeps the version it replaces; the same score again changes nothing. After the deadline: 409 campaign_ended.
    Send an Idempotency-Key so a retry after a lost answer changes nothing."""
    mine = await score_service.submit(session, principal, campaign_id, proposal_id, body)
    return await idem.respond(session, status.HTTP_200_OK, ScoreRead(**await score_service.view(session, mine)))


@router.post(
    f"{SCORE_PATH[: -len('/score')]}/conflict-declaration",
    response_model=ScoreRead,
    summary="Declare a conflict of interest with a project (回避申报)",
    responses=problems(401, 403, 404, 409, 422),
)
async def declare_conflict(
    campaign_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ConflictDeclaration,
    session: SessionDep,
    principal: ScoreWriter,
) -> dict:
    """An assignee linked to the project (its applicant, implementer, a relative …) says so: they score it no
    more (409 conflict_declared) and a score they gave it is left out of award runs."""
    mine = await score_service.declare_conflict(session, principal, campaign_id, proposal_id, body.reason)
    return await score_service.view(session, mine)
