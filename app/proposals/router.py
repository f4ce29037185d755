"""HTTP for proposals: intake, lifecycle, screening and survey notes (parse, authorise, call the service)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from app.auth.deps import CurrentPrincipal, require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency
from app.programmes.lookup import rules_of
from app.programmes.ruleset import ProjectCaps
from app.programmes.service import get_programme
from app.proposals import lifecycle_service, negative_list, policy, rules, screening_service, service
from app.proposals.enums import ProposalState
from app.proposals.models import Proposal, ProposalScreening, SurveyNote
from app.proposals.schemas import (
    AllowedTransition,
    NegativeItemRead,
    ProposalCreate,
    ProposalDetail,
    ProposalRead,
    ProposalUpdate,
    ScreeningCreate,
    ScreeningRead,
    SurveyNoteCreate,
    SurveyNoteRead,
    TransitionRequest,
)
from app.proposals.views import detail

router = APIRouter(prefix="/api/v1", tags=["proposals"])

Proposer = Annotated[Principal, Depends(require_roles(*policy.PROPOSER_ROLES))]
Reader = Annotated[Principal, Depends(require_roles(*policy.PROPOSER_ROLES, *policy.READER_ROLES))]
Screener = Annotated[Principal, Depends(require_roles(*policy.SCREENER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]


async def valid_proposal(proposal_id: uuid.UUID, session: SessionDep) -> Proposal:
    """The proposal named in the path, or 404 (visibility is checked by each route)."""
    return await service.get_proposal(session, proposal_id)


ProposalDep = Annotated[Proposal, Depends(valid_proposal)]


@router.post(
    "/proposals",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalDetail,
    summary="Start a proposal (draft)",
    responses=problems(401, 403, 422),
)
async def create_proposal(body: ProposalCreate, session: SessionDep, principal: Proposer) -> ProposalDetail:
    """A resident (or their social organisation) drafts a proposal; totals are computed from the lines."""
    proposal = await service.create_proposal(session, principal, body)
    return await detail(session, proposal)


@router.get("/proposals", response_model=Page[ProposalRead], summary="List proposals", responses=problems(401, 403))
async def list_proposals(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    state: ProposalState | None = None,
    community_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
) -> dict:
    """Residents: their own. Staff: submitted proposals of their region."""
    return await paginate(session, service.list_statement(principal, state, community_id, programme_id), page)


@router.get(
    "/proposals/{proposal_id}", response_model=ProposalDetail, summary="Read a proposal", responses=problems(401, 404)
)
async def read_proposal(proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal) -> ProposalDetail:
    """The proposer's own, or a submitted one of the caller's region; 404 otherwise."""
    policy.check_read(principal, proposal)
    return await detail(session, proposal)


@router.patch(
    "/proposals/{proposal_id}",
    response_model=ProposalDetail,
    summary="Revise a draft or returned proposal",
    responses=problems(401, 403, 404, 409, 422),
)
async def update_proposal(
    body: ProposalUpdate, proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal
) -> ProposalDetail:
    """The proposer changes content while the proposal is a draft or was returned by screening."""
    await service.update_proposal(session, principal, proposal, body)
    return await detail(session, proposal)


@router.post(
    "/proposals/{proposal_id}/submit",
    response_model=ProposalRead,
    summary="Submit a proposal",
    responses=problems(401, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def submit_proposal(
    proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal, idem: Idempotency
) -> JSONResponse:
    """Draft or returned → submitted; the budget must be within the cap and the programme open.

    A phone that retries with the same Idempotency-Key gets the first answer back, not a 409.
    """
    policy.check_read(principal, proposal)
    await lifecycle_service.transition(session, proposal, ProposalState.submitted, principal)
    return await idem.respond(session, 200, ProposalRead.model_validate(proposal))


@router.get(
    "/proposals/{proposal_id}/transitions",
    response_model=list[AllowedTransition],
    summary="Transitions the caller may make now",
    responses=problems(401, 404),
)
async def allowed_transitions(proposal: ProposalDep, principal: CurrentPrincipal) -> list[dict]:
    """Where the caller may move the proposal from its current state."""
    policy.check_read(principal, proposal)
    return rules.allowed_from(proposal.state, policy.movers_for(principal, proposal))


@router.post(
    "/proposals/{proposal_id}/transitions",
    response_model=ProposalRead,
    summary="Move a proposal to another state",
    responses=problems(401, 404, 409, 422),
)
async def make_transition(
    body: TransitionRequest, proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal
) -> Proposal:
    """Transitions people make (submit, withdraw, survey, deliberation); 409 lists the allowed ones."""
    policy.check_read(principal, proposal)
    return await lifecycle_service.transition(session, proposal, body.to, principal, body.reason)


@router.get(
    "/screening/negative-list",
    response_model=list[NegativeItemRead],
    summary="The negative list screening checks against",
    responses=problems(401, 404, 422),
)
async def read_negative_list(
    session: SessionDep, _principal: CurrentPrincipal, programme_id: Annotated[uuid.UUID | None, Query()] = None
) -> list:
    """The programme's list when it has its own, else the default list."""
    if programme_id is None:
        return list(negative_list.DEFAULT_NEGATIVE_LIST)
    programme = await get_programme(session, programme_id)
    return list(negative_list.items_from(programme.rules.get("negative_list")))


@router.get(
    "/screening/caps",
    response_model=ProjectCaps,
    summary="Per-type caps a proposal's budget must stay within",
    responses=problems(401, 404, 422),
)
async def read_caps(session: SessionDep, _principal: CurrentPrincipal, programme_id: uuid.UUID) -> ProjectCaps:
    """The programme's per-project caps in fen, by project type."""
    return rules_of(await get_programme(session, programme_id)).project_caps


@router.post(
    "/proposals/{proposal_id}/screenings",
    status_code=status.HTTP_201_CREATED,
    response_model=ScreeningRead,
    summary="Screen a submitted proposal (初审)",
    responses=problems(401, 403, 404, 409, 422),
)
async def screen_proposal(
    body: ScreeningCreate, proposal: ProposalDep, session: SessionDep, principal: Screener
) -> ProposalScreening:
    """Pass → screened; failed negative-list items or a budget over the cap → returned with the reasons."""
    return await screening_service.screen(session, principal, proposal, body)


@router.get(
    "/proposals/{proposal_id}/screenings",
    response_model=Page[ScreeningRead],
    summary="Screening results of a proposal",
    responses=problems(401, 404),
)
async def list_screenings(
    proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal, page: Paging
) -> dict:
    """Every screening, newest first; the proposer sees why it was returned."""
    policy.check_read(principal, proposal)
    return await paginate(session, screening_service.screenings_statement(proposal), page)


@router.post(
    "/proposals/{proposal_id}/survey-notes",
    status_code=status.HTTP_201_CREATED,
    response_model=SurveyNoteRead,
    summary="Record a needs-survey finding (社情民意调研)",
    responses=problems(401, 403, 404, 409, 422),
)
async def add_survey_note(
    body: SurveyNoteCreate, proposal: ProposalDep, session: SessionDep, principal: Screener
) -> SurveyNote:
    """Staff of the proposal's region record what residents said, from screening until deliberation."""
    return await screening_service.add_survey_note(session, principal, proposal, body)


@router.get(
    "/proposals/{proposal_id}/survey-notes",
    response_model=Page[SurveyNoteRead],
    summary="Needs-survey findings of a proposal",
    responses=problems(401, 404),
)
async def list_survey_notes(
    proposal: ProposalDep, session: SessionDep, principal: CurrentPrincipal, page: Paging
) -> dict:
    """The findings, oldest first (proposer and staff of the region)."""
    policy.check_read(principal, proposal)
    return await paginate(session, screening_service.survey_notes_statement(proposal), page)
