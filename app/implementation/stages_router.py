"""HTTP for the stages of a project under way: mid-term review, acceptance, closure, termination, waivers."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import NotFound, problems
from app.implementation import acceptance_service, closure_service, mid_term_service, stages_service
from app.implementation.policy import REVIEWER_ROLES
from app.implementation.schemas import ImplementationRead, MilestoneWaive
from app.implementation.stages_schemas import (
    AcceptanceCreate,
    AcceptanceRead,
    ClosureCreate,
    ClosureRead,
    MidTermReviewRead,
    ReviewDecision,
    SelfEvaluationCreate,
    TerminationCreate,
)
from app.voting import policy

router = APIRouter(prefix="/api/v1", tags=["implementation"])
Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Reviewer = Annotated[Principal, Depends(require_roles(*REVIEWER_ROLES))]
WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404, 422)


@router.post(
    "/milestones/{milestone_id}/waive", response_model=ImplementationRead, summary="Waive a milestone", responses=WRITE
)
async def waive_milestone(
    milestone_id: uuid.UUID, body: MilestoneWaive, session: SessionDep, principal: Organiser
) -> dict:
    """An open milestone dropped with a reason no longer holds back completion or closure."""
    impl = await stages_service.waive_milestone(session, principal, milestone_id, body.reason)
    return await stages_service.view(session, impl)


@router.post(
    "/projects/{proposal_id}/mid-term-reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=MidTermReviewRead,
    summary="File the self-evaluation (中期自评)",
    responses=WRITE,
)
async def submit_review(
    proposal_id: uuid.UUID, body: SelfEvaluationCreate, session: SessionDep, principal: Organiser
) -> object:
    """Due by the project's mid-term date (or the resubmission date after a fail); filed late, it fails at once
    and payments stop."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return await mid_term_service.submit(session, principal, impl, body)


@router.post(
    "/mid-term-reviews/{review_id}/decision",
    response_model=MidTermReviewRead,
    summary="Review a self-evaluation (中期评估)",
    responses=WRITE,
)
async def decide_review(review_id: uuid.UUID, body: ReviewDecision, session: SessionDep, principal: Reviewer) -> object:
    """Street or district staff: a pass releases the next instalment; a fail stops payments."""
    return await mid_term_service.decide(session, principal, review_id, body)


@router.get(
    "/projects/{proposal_id}/mid-term-reviews",
    response_model=list[MidTermReviewRead],
    summary="A project's mid-term reviews",
    responses=READ,
)
async def list_reviews(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> list:
    """Every attempt, first first."""
    return await mid_term_service.reviews(
        session, await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    )


@router.post(
    "/projects/{proposal_id}/acceptances",
    status_code=status.HTTP_201_CREATED,
    response_model=AcceptanceRead,
    summary="Record an acceptance inspection (验收)",
    responses=WRITE,
)
async def inspect(proposal_id: uuid.UUID, body: AcceptanceCreate, session: SessionDep, principal: Organiser) -> dict:
    """Representatives (and an expert where the programme asks) and a resident survey; satisfaction under the
    programme's floor (default 70%) or a verdict against sends the project to rectification (整改)."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return acceptance_service.read(await acceptance_service.inspect(session, principal, impl, body))


@router.get(
    "/projects/{proposal_id}/acceptances",
    response_model=list[AcceptanceRead],
    summary="A project's acceptance inspections",
    responses=READ,
)
async def list_inspections(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> list:
    """Every inspection, first first."""
    return await acceptance_service.inspections(
        session, await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    )


@router.post(
    "/projects/{proposal_id}/closure",
    status_code=status.HTTP_201_CREATED,
    response_model=ClosureRead,
    summary="Close an accepted project (结项)",
    responses=WRITE,
)
async def close(proposal_id: uuid.UUID, body: ClosureCreate, session: SessionDep, principal: Organiser) -> object:
    """The completion report; open milestones must be waived with a reason; the unpaid commitment goes back to
    the pilot in the ledger; the proposal becomes completed, ready for evaluation."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return await closure_service.close(session, principal, impl, body)


@router.post(
    "/projects/{proposal_id}/termination",
    status_code=status.HTTP_201_CREATED,
    response_model=ClosureRead,
    summary="Terminate a project (终止)",
    responses=WRITE,
)
async def terminate(
    proposal_id: uuid.UUID, body: TerminationCreate, session: SessionDep, principal: Reviewer
) -> object:
    """Street or district staff, after a failed, late or overdue mid-term review; the unpaid rest goes back."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    return await closure_service.terminate(session, principal, impl, body)


@router.get(
    "/public/projects/{proposal_id}/closure",
    response_model=ClosureRead,
    summary="How a project ended (public)",
    responses=problems(404, 422),
)
async def public_closure(proposal_id: uuid.UUID, session: SessionDep) -> object:
    """The completion report and the money given back; 404 while the project is under way."""
    ended = await closure_service.closure_of(session, proposal_id)
    if ended is None:
        raise NotFound("The project has not closed.", code="closure_not_found")
    return ended
