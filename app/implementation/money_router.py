"""HTTP for money after confirmation: disbursements by instalment and budget changes (staff and public)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import problems
from app.funds import policy as funds_policy
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency
from app.implementation import budget_changes_service, disbursements_service, stages_service
from app.implementation.money_schemas import (
    BudgetChangeCreate,
    BudgetChangeDecision,
    BudgetChangeRead,
    DisbursementCreate,
    DisbursementRead,
    ScheduleRead,
)
from app.voting import policy

router = APIRouter(prefix="/api/v1", tags=["implementation"])
Payer = Annotated[Principal, Depends(require_roles(Role.finance, Role.admin))]
MoneyReader = Annotated[Principal, Depends(require_roles(*funds_policy.READER_ROLES, Role.admin))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404, 422)


@router.post(
    "/projects/{proposal_id}/disbursements",
    status_code=status.HTTP_201_CREATED,
    response_model=DisbursementRead,
    summary="Pay an instalment to the implementer (拨付)",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def disburse(
    proposal_id: uuid.UUID, body: DisbursementCreate, session: SessionDep, principal: Payer, idem: Idempotency
) -> JSONResponse:
    """Finance staff pay instalments in order once each gate is met; 409 names the gate, the order or the limit
    that refuses it. Recorded in the funds ledger, never beyond the commitment."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    payment = await disbursements_service.disburse(session, principal, impl, body)
    return await idem.respond(session, status.HTTP_201_CREATED, DisbursementRead.model_validate(payment))


@router.get(
    "/projects/{proposal_id}/disbursements",
    response_model=ScheduleRead,
    summary="A project's instalments and payments",
    responses=READ,
)
async def schedule(proposal_id: uuid.UUID, session: SessionDep, principal: MoneyReader) -> dict:
    """Each instalment's amount from the current budget, what was paid, what may be paid now, or why not."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    return await disbursements_service.schedule(session, impl)


@router.get(
    "/public/projects/{proposal_id}/disbursements",
    response_model=ScheduleRead,
    summary="Public payments of a project",
    responses=problems(404, 422),
)
async def public_schedule(proposal_id: uuid.UUID, session: SessionDep) -> dict:
    """What the implementer has been paid and when (资金拨付公开); no login."""
    return await disbursements_service.schedule(session, await stages_service.get_implementation(session, proposal_id))


@router.post(
    "/projects/{proposal_id}/budget-changes",
    status_code=status.HTTP_201_CREATED,
    response_model=BudgetChangeRead,
    summary="Change a project's budget, category or purpose",
    responses=WRITE,
)
async def request_change(
    proposal_id: uuid.UUID, body: BudgetChangeCreate, session: SessionDep, principal: Organiser
) -> object:
    """Within the programme's threshold (default 10%) and with category and purpose unchanged, community staff
    approve it at once (state applied); otherwise it awaits a representative meeting (state awaiting_meeting)."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return await budget_changes_service.request(session, principal, impl, body)


@router.post(
    "/budget-changes/{change_id}/decision",
    response_model=BudgetChangeRead,
    summary="Apply or reject a budget change by the meeting's decision",
    responses=WRITE,
)
async def decide_change(
    change_id: uuid.UUID, body: BudgetChangeDecision, session: SessionDep, principal: Organiser
) -> object:
    """Names the agenda item (on this project, at a meeting of its community, decided after the request):
    passed applies the change and moves the commitment in the ledger; failed rejects it."""
    return await budget_changes_service.decide(session, principal, change_id, body)


@router.get(
    "/projects/{proposal_id}/budget-changes",
    response_model=list[BudgetChangeRead],
    summary="A project's budget changes",
    responses=READ,
)
async def list_changes(proposal_id: uuid.UUID, session: SessionDep, principal: MoneyReader) -> list:
    """Every change, oldest first."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    return await budget_changes_service.changes(session, impl)


@router.get(
    "/public/projects/{proposal_id}/budget-changes",
    response_model=list[BudgetChangeRead],
    summary="Public budget changes of a project",
    responses=problems(404, 422),
)
async def public_changes(proposal_id: uuid.UUID, session: SessionDep) -> list:
    """Every change with its reason and decision (居务公开); no login."""
    return await budget_changes_service.changes(session, await stages_service.get_implementation(session, proposal_id))
