"""HTTP for expert review (评审) of 公益微创投 applications: staff form and close panels, experts score."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import problems
from app.notices.schemas import NoticeRead
from app.notices.views import notice_view
from app.review import notice, policy, service
from app.review.schemas import (
    ConflictWrite,
    PanelCreate,
    PanelDissolve,
    PanelRead,
    PitchWrite,
    ReviewNoticeCreate,
    ReviewScoreRead,
    ReviewScoreWrite,
)

router = APIRouter(prefix="/api/v1/review-panels", tags=["review"])
Manager = Annotated[Principal, Depends(require_roles(*policy.MANAGER_ROLES))]
Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Expert = Annotated[Principal, Depends(require_roles(*policy.EXPERT_ROLES))]
APPLICATION = "/{panel_id}/applications/{proposal_id}"


@router.post(
    "",
    response_model=PanelRead,
    status_code=status.HTTP_201_CREATED,
    summary="Form a review panel",
    responses=problems(401, 403, 404, 409, 422),
)
async def create_panel(body: PanelCreate, session: SessionDep, principal: Manager) -> dict:
    """A panel for a pilot's 公益微创投 applications (screened or shortlisted), with its experts (evaluator
    accounts) and the rubric's latest version. The panel holds its budget of the pilot's uncommitted money as a
    voting round does: 409 budget_reserved_by_other_rounds (naming the rounds and panels that hold it),
    budget_exceeds_funds or no_funds. 409 selection_by_vote when the programme selects by vote alone;
    422 application_not_reviewable naming each proposal that is not such an application."""
    return await service.view(session, await service.create_panel(session, principal, body))


@router.get(
    "/{panel_id}",
    response_model=PanelRead,
    summary="A review panel and its applications",
    responses=problems(401, 403, 404, 422),
)
async def read_panel(panel_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """Staff of the region and the panel's own experts; outcomes appear once it is closed."""
    return await service.view(session, await service.get_panel(session, principal, panel_id))


@router.put(
    "/{panel_id}/pitch",
    response_model=PanelRead,
    summary="Record the pitch session (路演)",
    responses=problems(401, 403, 404, 409, 422),
)
async def record_pitch(panel_id: uuid.UUID, body: PitchWrite, session: SessionDep, principal: Manager) -> dict:
    """Date, place and who presented each application; recording again replaces it while the panel is open."""
    return await service.view(session, await service.record_pitch(session, principal, panel_id, body))


@router.post(
    f"{APPLICATION}/conflict-declaration",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Declare a conflict of interest with an application (回避申报)",
    responses=problems(401, 403, 404, 409, 422),
)
async def declare_conflict(
    panel_id: uuid.UUID, proposal_id: uuid.UUID, body: ConflictWrite, session: SessionDep, principal: Expert
) -> None:
    """The expert may not score the application from now on, and a score already given is void."""
    await service.declare_conflict(session, principal, panel_id, proposal_id, body)


@router.put(
    f"{APPLICATION}/score",
    response_model=ReviewScoreRead,
    summary="Score an application",
    responses=problems(401, 403, 404, 409, 422),
)
async def score(
    panel_id: uuid.UUID, proposal_id: uuid.UUID, body: ReviewScoreWrite, session: SessionDep, principal: Expert
) -> ReviewScoreRead:
    """Every criterion of the panel's rubric (422 criteria_missing, points_above_max); scoring again replaces
    the score. 409 conflict_of_interest when the expert declared a conflict, belongs to the applicant
    organisation or lives in the community; 403 not_on_panel."""
    row = await service.score(session, principal, panel_id, proposal_id, body)
    return ReviewScoreRead(proposal_id=row.proposal_id, items=row.items, total=row.total, scored_at=row.scored_at)


@router.post(
    "/{panel_id}/close",
    response_model=PanelRead,
    summary="Close the review: rank, fund, select",
    responses=problems(401, 403, 404, 409, 422),
)
async def close_panel(panel_id: uuid.UUID, session: SessionDep, principal: Manager) -> dict:
    """Trimmed mean of the experts' totals (from five scores on the highest and lowest are dropped), weighed
    with the vote share when the programme selects by both; the ranking is funded greedily within the panel's
    budget and each application moves to 入选 (selected) or 未入选 (not_selected). 409 no_scores, panel_closed."""
    return await service.view(session, await service.close(session, principal, panel_id))


@router.post(
    "/{panel_id}/dissolve",
    response_model=PanelRead,
    summary="Dissolve an open review panel",
    responses=problems(401, 403, 404, 409, 422),
)
async def dissolve_panel(panel_id: uuid.UUID, body: PanelDissolve, session: SessionDep, principal: Manager) -> dict:
    """Call the panel off before its close: the budget it held returns to the pilot's unreserved money and its
    applications may go before another panel. 409 panel_closed (a closed review's result stands),
    panel_dissolved."""
    return await service.view(session, await service.dissolve(session, principal, panel_id, body.reason))


@router.post(
    "/{panel_id}/notice",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeRead,
    summary="Publish the applications the review selected (公示)",
    responses=problems(401, 403, 404, 409, 422),
)
async def publish_notice(
    panel_id: uuid.UUID, body: ReviewNoticeCreate, session: SessionDep, principal: Manager
) -> dict:
    """The same notice a voting round's selection gets: the programme's window (422 notice_too_short), each
    application with its amount, funding sources and organisation; objections and confirmation as usual.
    409 panel_not_closed, notice_exists."""
    published = await notice.publish(
        session, principal, panel_id, starts_on=body.starts_on, days=body.days, how_to_object=body.how_to_object
    )
    return await notice_view(session, published)
