"""HTTP for campaigns run by the district: set up, change, projects, assignments, progress, submitted scores."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.evaluation import assignment_service, campaign_service, progress_service, project_service
from app.evaluation.deps import CampaignManager, CampaignOverseer, CampaignReader, CampaignViewer, Manager
from app.evaluation.models import Source
from app.evaluation.schemas import (
    AssignmentRead,
    AssignmentsCreate,
    CampaignCreate,
    CampaignProjectRead,
    CampaignRead,
    CampaignUpdate,
    ProgressRead,
    ProgressState,
    ProjectsAdd,
    SubmittedScoreRead,
)

router = APIRouter(prefix="/api/v1/evaluation", tags=["evaluation"])
Paging = Annotated[PageParams, Depends(page_params)]
READ = problems(401, 403, 404, 422)
WRITE = problems(401, 403, 404, 409, 422)


@router.post(
    "/campaigns",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignRead,
    summary="Set up the annual evaluation of a programme",
    responses=problems(401, 403, 409, 422),
)
async def create_campaign(body: CampaignCreate, session: SessionDep, principal: Manager) -> dict:
    """One per programme (district and year). The rubric version is frozen in; weights, trimming, grade cut-offs
    and the satisfaction floor default to the programme's. proposal_ids may list completed projects at once."""
    campaign = await campaign_service.create_campaign(session, principal, body)
    if body.proposal_ids:
        await project_service.add_projects(session, principal, campaign, body.proposal_ids)
    return await campaign_service.view(session, campaign)


@router.get("/campaigns", response_model=Page[CampaignRead], summary="Campaigns I may read", responses=READ)
async def list_campaigns(
    session: SessionDep,
    principal: CampaignReader,
    page: Paging,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict:
    """District staff: their district's; evaluators and assessors: those they are assigned in (a token bound to a
    campaign: that one)."""
    result = await paginate(session, campaign_service.list_statement(principal, year), page)
    result["items"] = [await campaign_service.view(session, c) for c in result["items"]]
    return result


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead, summary="A campaign", responses=READ)
async def read_campaign(campaign_id: uuid.UUID, session: SessionDep, principal: CampaignViewer) -> dict:
    """With its rubric version's criteria; 404 when the caller has nothing to do with it."""
    return await campaign_service.view(session, await campaign_service.campaign_for(session, principal, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignRead, summary="Change a campaign", responses=WRITE)
async def update_campaign(
    campaign_id: uuid.UUID, body: CampaignUpdate, session: SessionDep, principal: CampaignManager
) -> dict:
    """Anything before it opens; once open the title, a later deadline (other fields: 409 campaign_started) and,
    until the first score is submitted, the weights, trimming, cut-offs and floor (after it: 409 scoring_frozen)."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id, manage=True, lock="update")
    return await campaign_service.view(
        session, await campaign_service.update_campaign(session, principal, campaign, body)
    )


@router.get(
    "/campaigns/{campaign_id}/projects",
    response_model=Page[CampaignProjectRead],
    summary="Projects under evaluation",
    responses=READ,
)
async def list_projects(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignViewer,
    page: Paging,
    community_id: uuid.UUID | None = None,
    street_id: uuid.UUID | None = None,
) -> dict:
    """By place and title."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id)
    return await paginate(session, project_service.list_statement(campaign.id, community_id, street_id), page)


@router.post(
    "/campaigns/{campaign_id}/projects",
    status_code=status.HTTP_201_CREATED,
    response_model=list[CampaignProjectRead],
    summary="Add completed projects",
    responses=WRITE,
)
async def add_projects(
    campaign_id: uuid.UUID, body: ProjectsAdd, session: SessionDep, principal: CampaignManager
) -> object:
    """Completed (完成) projects of the campaign's programme and district, all or none."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id, manage=True, lock="share")
    return await project_service.add_projects(session, principal, campaign, body.proposal_ids)


@router.delete(
    "/campaigns/{campaign_id}/projects/{proposal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a project out of a campaign",
    responses=WRITE,
)
async def remove_project(
    campaign_id: uuid.UUID, proposal_id: uuid.UUID, session: SessionDep, principal: CampaignManager
) -> Response:
    """Only while it has no assignment and no rating (409 project_has_evaluations)."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id, manage=True, lock="share")
    await project_service.remove_project(session, principal, campaign, proposal_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/campaigns/{campaign_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=list[AssignmentRead],
    summary="Assign projects to an evaluator or assessor",
    responses=WRITE,
)
async def assign(
    campaign_id: uuid.UUID, body: AssignmentsCreate, session: SessionDep, principal: CampaignManager
) -> object:
    """All or none. 409 conflict_of_interest names each project the assignee may not evaluate and why
    (own_community: the project is in their community; own_organisation: their organisation implemented it)."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id, manage=True, lock="share")
    return await assignment_service.assign(session, principal, campaign, body)


@router.delete(
    "/assignments/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an assignment",
    responses=WRITE,
)
async def withdraw(assignment_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    """Only while nothing is saved for it (409 assignment_has_score) and before the deadline."""
    await assignment_service.withdraw(session, principal, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/campaigns/{campaign_id}/progress", response_model=ProgressRead, summary="Progress of a campaign", responses=READ
)
async def progress(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignOverseer,
    page: Paging,
    state: ProgressState | None = None,
    source: Source | None = None,
    proposal_id: uuid.UUID | None = None,
    evaluator_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
) -> dict:
    """Every assignment is missing (nothing saved), draft, submitted, or late (not submitted and the deadline
    passed). Counts cover the filtered assignments in every state; the page lists those in `state`. Also: resident
    ratings so far and the streets that filed their self-inspection report."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id)
    return await progress_service.progress(
        session,
        campaign,
        page,
        state=state,
        source=source,
        proposal_id=proposal_id,
        evaluator_id=evaluator_id,
        organisation_id=organisation_id,
    )


@router.get(
    "/campaigns/{campaign_id}/scores",
    response_model=Page[SubmittedScoreRead],
    summary="Submitted scores of a campaign",
    responses=READ,
)
async def submitted_scores(
    campaign_id: uuid.UUID,
    session: SessionDep,
    principal: CampaignOverseer,
    page: Paging,
    source: Source | None = None,
    proposal_id: uuid.UUID | None = None,
) -> dict:
    """Each with its criteria and assignee; drafts stay the assignee's own."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id)
    return await progress_service.submitted_scores(session, campaign, page, source=source, proposal_id=proposal_id)
