"""HTTP for fund sources and the ledger: parse, authorise, call the service, shape the response."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.funds import accounts_service, direct_service, draws_service, ledger_service, policy, service, sources_service
from app.funds.models import FundSource, LedgerEntry, LedgerKind, ProjectBalance
from app.funds.schemas import (
    CommitmentCreate,
    FundsInCreate,
    FundSourceCreate,
    FundSourceRead,
    LedgerEntryRead,
    MovementCreate,
    PanelHoldRead,
    PilotBalanceRead,
    PilotBalanceWithRoundsRead,
    ProjectBalanceRead,
    ReversalCreate,
    RoundHoldRead,
    SourceBalanceRead,
)
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency, IdempotencyContext
from app.implementation import standing
from app.programmes.service import pilot_context
from app.voting import reservations_service
from app.voting import rules as voting_rules

router = APIRouter(prefix="/api/v1", tags=["funds"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Writer = Annotated[Principal, Depends(require_roles(*policy.WRITER_ROLES))]
DirectCommitter = Annotated[Principal, Depends(require_roles(*policy.DIRECT_COMMITTERS))]
# Every money write accepts an Idempotency-Key, so a client retrying after a lost response pays once.
WRITE_PROBLEMS = problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS)


async def _created(session: AsyncSession, idem: IdempotencyContext, entry: LedgerEntry) -> JSONResponse:
    """The 201 answer of a ledger write, stored for replays when the request carried an Idempotency-Key."""
    return await idem.respond(session, status.HTTP_201_CREATED, LedgerEntryRead.model_validate(entry))


@router.post(
    "/pilots/{pilot_id}/fund-sources",
    status_code=status.HTTP_201_CREATED,
    response_model=FundSourceRead,
    summary="Add a fund source to a pilot",
    responses=WRITE_PROBLEMS,
)
async def create_fund_source(
    pilot_id: uuid.UUID, body: FundSourceCreate, session: SessionDep, principal: Writer, idem: Idempotency
) -> JSONResponse:
    """Street matching funds (street admin) or another source (community staff and up) with payer and document."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_write(principal, LedgerKind.funds_in, ctx.pilot.region_path, body.kind)
    source = await sources_service.create_source(
        session,
        principal.actor,
        ctx,
        body.kind,
        body.payer,
        body.document_ref,
        body.dated,
        planned_fen=body.planned_fen,
        note=body.note,
        returns_to=body.returns_to,
    )
    return await idem.respond(session, status.HTTP_201_CREATED, FundSourceRead.model_validate(source))


@router.get(
    "/pilots/{pilot_id}/fund-sources",
    response_model=list[FundSourceRead],
    summary="List a pilot's fund sources",
    responses=problems(401, 403, 404),
)
async def list_fund_sources(pilot_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[FundSource]:
    """Every source of the pilot, oldest first (a pilot has a handful)."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_read(principal, ctx.pilot.region_path)
    return await sources_service.list_sources(session, pilot_id)


@router.post(
    "/fund-sources/{source_id}/funds-in",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Record money received from a source",
    responses=WRITE_PROBLEMS,
)
async def record_funds_in(
    source_id: uuid.UUID, body: FundsInCreate, session: SessionDep, principal: Writer, idem: Idempotency
) -> JSONResponse:
    """District subsidy (district admin), matching funds (street admin), other sources (community staff and up)."""
    source = await service.get_source(session, source_id)
    ctx = await pilot_context(session, source.pilot_id)
    policy.check_write(principal, LedgerKind.funds_in, ctx.pilot.region_path, source.kind)
    entry = await service.record_funds_in(
        session,
        principal.actor,
        source,
        body.amount_fen,
        body.entry_date,
        document_ref=body.document_ref,
        note=body.note,
        supplement=body.supplement,
    )
    return await _created(session, idem, entry)


@router.post(
    "/pilots/{pilot_id}/commitments",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Commit a project directly on a named decision (直接安排)",
    responses=WRITE_PROBLEMS,
)
async def commit_project(
    pilot_id: uuid.UUID, body: CommitmentCreate, session: SessionDep, principal: DirectCommitter, idem: Idempotency
) -> JSONResponse:
    """District admins only, for the exceptions (an emergency project): the decision is a passed motion of the
    community's representative meeting or a document; 422 decision_required without one, 409
    proposal_in_process for a proposal the vote and notice will commit, 409 insufficient_funds when the pilot's
    uncommitted funds do not cover it. Nothing is written then. Money normally comes by confirmation."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_write(principal, LedgerKind.commitment, ctx.pilot.region_path)
    entry = await direct_service.commit_direct(
        session,
        principal.actor,
        pilot_id,
        body.project_id,
        body.project_title,
        body.category,
        body.amount_fen,
        project_type=body.project_type,
        entry_date=body.entry_date,
        decision_motion_id=body.decision_motion_id,
        decision_document_ref=body.decision_document_ref,
        note=body.note,
    )
    return await _created(session, idem, entry)


async def _project_pilot_path(session: SessionDep, project_id: uuid.UUID) -> str:
    project = await service.get_project(session, project_id)
    return (await pilot_context(session, project.pilot_id)).pilot.region_path


@router.post(
    "/funds/projects/{project_id}/disbursements",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Pay a project's implementer",
    responses=WRITE_PROBLEMS,
)
async def disburse(
    project_id: uuid.UUID, body: MovementCreate, session: SessionDep, principal: Writer, idem: Idempotency
) -> JSONResponse:
    """Finance staff pay out; 409 over_commitment beyond what is committed and unpaid."""
    policy.check_write(principal, LedgerKind.disbursement, await _project_pilot_path(session, project_id))
    await standing.refuse_direct_movement(session, project_id)
    entry = await service.disburse(
        session,
        principal.actor,
        project_id,
        body.amount_fen,
        body.entry_date,
        document_ref=body.document_ref,
        note=body.note,
    )
    return await _created(session, idem, entry)


@router.post(
    "/funds/projects/{project_id}/returns",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Return a project's unspent money",
    responses=WRITE_PROBLEMS,
)
async def return_unspent(
    project_id: uuid.UUID, body: MovementCreate, session: SessionDep, principal: Writer, idem: Idempotency
) -> JSONResponse:
    """The committed, unpaid rest goes back to the pilot's uncommitted funds."""
    policy.check_write(principal, LedgerKind.return_, await _project_pilot_path(session, project_id))
    await standing.refuse_direct_movement(session, project_id)
    entry = await service.return_unspent(
        session,
        principal.actor,
        project_id,
        body.amount_fen,
        body.entry_date,
        document_ref=body.document_ref,
        note=body.note,
    )
    return await _created(session, idem, entry)


@router.post(
    "/funds/ledger/{entry_id}/reversal",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Reverse a ledger entry",
    responses=WRITE_PROBLEMS,
)
async def reverse(
    entry_id: uuid.UUID, body: ReversalCreate, session: SessionDep, principal: Writer, idem: Idempotency
) -> JSONResponse:
    """The only way to undo: an opposite entry. 409 when it would break a balance or was reversed already."""
    entry = await service.get_entry(session, entry_id)
    ctx = await pilot_context(session, entry.pilot_id)
    source = await service.get_source(session, entry.fund_source_id) if entry.fund_source_id else None
    policy.check_reverse(principal, entry.kind, ctx.pilot.region_path, source.kind if source else None)
    reversal = await service.reverse(session, principal.actor, entry, body.entry_date, body.reason)
    return await _created(session, idem, reversal)


@router.get(
    "/pilots/{pilot_id}/ledger",
    response_model=Page[LedgerEntryRead],
    summary="A pilot's ledger",
    responses=problems(401, 403, 404),
)
async def list_ledger(
    pilot_id: uuid.UUID, session: SessionDep, principal: Reader, page: Annotated[PageParams, Depends(page_params)]
) -> dict:
    """Entries in the order they were recorded."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_read(principal, ctx.pilot.region_path)
    return await paginate(session, ledger_service.entries_statement(pilot_id), page)


@router.get(
    "/pilots/{pilot_id}/balance",
    response_model=PilotBalanceWithRoundsRead,
    summary="A pilot's balance",
    responses=problems(401, 403, 404),
)
async def pilot_balance(pilot_id: uuid.UUID, session: SessionDep, principal: Reader) -> PilotBalanceWithRoundsRead:
    """Funds in, committed, returned, disbursed, transferred out and available, in fen; per source (in draw
    order) planned, received, committed, uncommitted and swept; and what voting rounds hold of the money not
    yet committed, round by round."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_read(principal, ctx.pilot.region_path)
    row = await ledger_service.pilot_balance(session, pilot_id)
    parts = [
        SourceBalanceRead(
            fund_source_id=s.id,
            kind=s.kind,
            payer=s.payer,
            returns_to=s.returns_to,
            planned_fen=s.planned_fen,
            received_fen=s.received_fen,
            committed_fen=s.committed_fen,
            uncommitted_fen=draws_service.uncommitted(s),
            swept_fen=s.swept_fen,
            paid_fen=s.paid_fen,
        )
        for s in await draws_service.sources_in_order(session, pilot_id)
    ]
    uncommitted = await accounts_service.uncommitted_fen(session, pilot_id)
    holds = await reservations_service.holds(session, pilot_id)
    panels = await reservations_service.panel_holds(session, pilot_id)
    held, by_panels = sum(h.held_fen for h in holds), sum(h.held_fen for h in panels)
    return PilotBalanceWithRoundsRead(
        **PilotBalanceRead.model_validate(row).model_dump(exclude={"available_fen", "sources"}),
        sources=parts,
        uncommitted_fen=uncommitted,
        reserved_by_rounds_fen=held,
        reserved_by_panels_fen=by_panels,
        unreserved_fen=voting_rules.unreserved_fen(uncommitted, held + by_panels),
        reserved_by_rounds=[RoundHoldRead.model_validate(h) for h in holds],
        reserved_by_panels=[PanelHoldRead.model_validate(h) for h in panels],
    )


@router.get(
    "/funds/projects/{project_id}",
    response_model=ProjectBalanceRead,
    summary="A project's balance",
    responses=problems(401, 403, 404),
)
async def project_balance(project_id: uuid.UUID, session: SessionDep, principal: Reader) -> ProjectBalance:
    """Committed, returned, disbursed and unspent, in fen."""
    project = await service.get_project(session, project_id)
    ctx = await pilot_context(session, project.pilot_id)
    policy.check_read(principal, ctx.pilot.region_path, "project")
    return project
