"""HTTP for resident satisfaction (满意度): residents rate their community's completed projects; the public reads
campaigns and per-project aggregates, never who rated what."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.evaluation import campaign_service, project_service, satisfaction_service
from app.evaluation.deps import Rater
from app.evaluation.schemas import (
    MySatisfactionRead,
    PublicCampaignRead,
    SatisfactionCreate,
    SatisfactionRead,
    SatisfactionSummaryRead,
)
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/evaluation/campaigns/{campaign_id}/my-satisfaction",
    response_model=MySatisfactionRead,
    summary="Projects I may rate",
    responses=problems(401, 403, 404, 422),
)
async def my_satisfaction(campaign_id: uuid.UUID, session: SessionDep, principal: Rater) -> dict:
    """The campaign's projects in communities whose voter roll holds my phone, with my rating once given."""
    return await satisfaction_service.mine(session, principal, campaign_id)


@router.post(
    "/evaluation/campaigns/{campaign_id}/projects/{proposal_id}/satisfaction",
    status_code=status.HTTP_201_CREATED,
    response_model=SatisfactionRead,
    summary="Rate a completed project",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def rate(
    campaign_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: SatisfactionCreate,
    session: SessionDep,
    principal: Rater,
    idem: Idempotency,
) -> JSONResponse:
    """1 (very dissatisfied) to 5 (very satisfied), once per project (409 already_rated), during the campaign;
    403 not_on_roll unless my phone is on the project community's voter roll."""
    rating = await satisfaction_service.rate(session, principal, campaign_id, proposal_id, body)
    return await idem.respond(session, status.HTTP_201_CREATED, SatisfactionRead.model_validate(rating))


@router.get(
    "/public/evaluation/campaigns",
    response_model=Page[PublicCampaignRead],
    summary="Public list of evaluation campaigns",
    responses=problems(422),
)
async def public_campaigns(
    session: SessionDep,
    page: Paging,
    district_id: uuid.UUID | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict:
    """Title, year, window and phase; residents rate while a campaign is open. No login."""
    result = await paginate(session, campaign_service.public_statement(district_id, year), page)
    result["items"] = [await campaign_service.public_view(session, c) for c in result["items"]]
    return result


@router.get(
    "/public/evaluation/campaigns/{campaign_id}/satisfaction",
    response_model=Page[SatisfactionSummaryRead],
    summary="Public resident satisfaction per project",
    responses=problems(404, 422),
)
async def public_satisfaction(
    campaign_id: uuid.UUID, request: Request, session: SessionDep, page: Paging, community_id: uuid.UUID | None = None
) -> dict:
    """Per project: how many rated, the mean, the share rating 4 or 5, and whether it fell under the campaign's
    floor (rectification); never who rated what (居务公开). The figures cover whole batches of ratings (setting
    WEISHI_SATISFACTION_PUBLIC_BATCH, default 10) and appear from the first full batch."""
    campaign = await campaign_service.get_campaign(session, campaign_id)
    result = await paginate(session, project_service.list_statement(campaign.id, community_id), page)
    result["items"] = await satisfaction_service.public_summaries(
        session, campaign, result["items"], request.app.state.settings.satisfaction_public_batch
    )
    return result
