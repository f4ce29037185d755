"""Ledger writes: each moves the balance rows with a guarded UPDATE, appends one entry, records one event.

Later issues call these directly (proposals commit a project's approved budget, implementation pays
the implementer), so every parameter is explicit and nothing depends on HTTP.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.service import Actor, record
from app.common.money import yuan
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.funds import draws_service, ledger_service, rules
from app.funds.models import CommitmentBasis, FundSource, FundSourceKind, LedgerEntry, LedgerKind, ProjectBalance
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.service import PilotContext, pilot_context


def entry_snapshot(entry: LedgerEntry) -> dict[str, Any]:
    """The audited state of a ledger entry."""
    return {c.name: getattr(entry, c.name) for c in LedgerEntry.__table__.columns}


def _check_when(ctx: PilotContext, kind: LedgerKind, entry_date: date, *, award: bool = False) -> None:
    problem = rules.state_problem(kind, ctx.programme.status, award=award)
    if problem:
        raise Conflict(problem, code="programme_state")
    problem = rules.date_problem(
        kind,
        entry_date,
        ctx.programme.starts_on,
        ctx.programme.ends_on,
        ctx.programme.closing_date,
        today=clock.today(),
        award=award,
    )
    if problem:
        raise Unprocessable(problem, code="date_outside_programme")


async def _append(
    session: AsyncSession, actor: Actor, ctx: PilotContext, entry: LedgerEntry, balances: dict[str, Any]
) -> LedgerEntry:
    entry.recorded_by = actor.id
    session.add(entry)
    await session.flush()
    await record(
        session,
        actor,
        f"ledger.{entry.kind.value}",
        "ledger_entry",
        entry.id,
        after={"entry": entry_snapshot(entry), "balances": balances},
        region_path=ctx.pilot.region_path,
    )
    return entry


async def get_source(session: AsyncSession, source_id: uuid.UUID) -> FundSource:
    """The fund source, or 404."""
    return await get_or_404(
        session, FundSource, source_id, code="fund_source_not_found", detail="No fund source with that id."
    )


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> ProjectBalance:
    """The project's balance row (it exists once the project has a commitment), or 404."""
    return await get_or_404(
        session,
        ProjectBalance,
        project_id,
        code="project_not_found",
        detail="No committed project with that id.",
        fresh=True,
    )


async def get_entry(session: AsyncSession, entry_id: uuid.UUID) -> LedgerEntry:
    """The ledger entry, or 404."""
    # By id alone: the key is (id, programme_year), and PostgreSQL looks in each year's partition's index.
    entry = (await session.execute(select(LedgerEntry).where(col(LedgerEntry.id) == entry_id))).scalar_one_or_none()
    if entry is None:
        raise NotFound("No ledger entry with that id.", code="ledger_entry_not_found")
    return entry


async def record_funds_in(
    session: AsyncSession,
    actor: Actor,
    source: FundSource,
    amount_fen: int,
    entry_date: date,
    *,
    document_ref: str | None = None,
    note: str | None = None,
    supplement: bool = False,
) -> LedgerEntry:
    """Money received from a source into its pilot; beyond the source's plan only as a supplement (追加) under a
    document of its own."""
    if source.kind == FundSourceKind.carry_over:
        raise Unprocessable(
            "Carried-over money is recorded by year end, not by hand.", code="reserved_fund_source_kind"
        )
    if supplement and not document_ref:
        raise Unprocessable(
            "追加资金须注明文件号（document_ref）。A supplement needs its own document reference.",
            code="supplement_needs_document",
        )
    ctx = await pilot_context(session, source.pilot_id)
    _check_when(ctx, LedgerKind.funds_in, entry_date, award=source.kind == FundSourceKind.award_subsidy)
    pilot = await ledger_service.move_pilot(session, ctx.pilot.id, rules.pilot_delta(LedgerKind.funds_in, amount_fen))
    # Pilot row first, then its source: the order every writer takes.
    moved = await ledger_service.move_source(session, source.id, received_fen=amount_fen, within_plan=not supplement)
    entry = LedgerEntry(
        pilot_id=ctx.pilot.id,
        programme_year=ctx.pilot.year,
        kind=LedgerKind.funds_in,
        amount_fen=amount_fen,
        entry_date=entry_date,
        fund_source_id=source.id,
        document_ref=document_ref or source.document_ref,
        note=note,
        supplement=supplement,
    )
    return await _append(session, actor, ctx, entry, {"pilot": pilot, "source": moved})


async def commit_project(
    session: AsyncSession,
    actor: Actor,
    pilot_id: uuid.UUID,
    project_id: uuid.UUID,
    title: str,
    category: ProjectCategory,
    amount_fen: int,
    *,
    project_type: ProjectType,
    entry_date: date,
    document_ref: str | None = None,
    note: str | None = None,
    basis: CommitmentBasis = CommitmentBasis.notice,
    decision_motion_id: uuid.UUID | None = None,
    decision_ref: str | None = None,
    source_id: uuid.UUID | None = None,
) -> LedgerEntry:
    """Commit (part of) a project's approved budget against the pilot's uncommitted funds, drawn on its sources
    in order (or on the one earmarked source named). A project's first commitment fixes its basis: the process
    (notice) or a direct decision."""
    ctx = await pilot_context(session, pilot_id)
    earmarked = await session.get(FundSource, source_id) if source_id else None
    _check_when(
        ctx,
        LedgerKind.commitment,
        entry_date,
        award=earmarked is not None and earmarked.kind == FundSourceKind.award_subsidy,
    )
    cap = ctx.rules.project_caps.cap_for(project_type)
    if amount_fen > cap:
        raise Unprocessable(
            f"该类项目承诺金额至多 {yuan(cap)}。A {project_type.value} project may commit at most {yuan(cap)}.",
            code="over_project_cap",
            extra={"cap_fen": cap},
        )
    await ledger_service.ensure_project(
        session,
        {
            "project_id": project_id,
            "pilot_id": pilot_id,
            "title": title,
            "category": category,
            "project_type": project_type,
            "basis": basis,
            "decision_motion_id": decision_motion_id,
            "decision_ref": decision_ref,
        },
    )
    project = await get_project(session, project_id)
    if project.pilot_id != pilot_id:
        raise Conflict("The project is committed under another pilot.", code="project_in_other_pilot")
    if (project.category, project.project_type) != (category, project_type):
        raise Conflict("The project was committed earlier with another category or type.", code="project_mismatch")
    pilot = await ledger_service.move_pilot(session, pilot_id, rules.pilot_delta(LedgerKind.commitment, amount_fen))
    proj = await ledger_service.move_project(
        session, project_id, rules.project_delta(LedgerKind.commitment, amount_fen), cap_fen=cap
    )
    shares = await draws_service.draw(session, pilot_id, amount_fen, source_id)
    entry = LedgerEntry(
        pilot_id=pilot_id,
        programme_year=ctx.pilot.year,
        kind=LedgerKind.commitment,
        amount_fen=amount_fen,
        entry_date=entry_date,
        project_id=project_id,
        document_ref=document_ref,
        note=note,
    )
    await _append(
        session, actor, ctx, entry, {"pilot": pilot, "project": proj, "sources": draws_service.audited(shares)}
    )
    await draws_service.record(session, entry, shares)
    return entry


async def _project_movement(
    session: AsyncSession,
    actor: Actor,
    kind: LedgerKind,
    project_id: uuid.UUID,
    amount_fen: int,
    entry_date: date,
    document_ref: str | None,
    note: str | None,
) -> LedgerEntry:
    project = await get_project(session, project_id)
    ctx = await pilot_context(session, project.pilot_id)
    _check_when(ctx, kind, entry_date)
    unspent = rules.unspent_fen(project.committed_fen, project.returned_fen, project.disbursed_fen)
    if amount_fen > unspent:
        # Said in this project's figures: the pilot's own balance (checked next) would name the wrong money.
        raise ledger_service.refusal(
            "over_commitment",
            rules.over_commitment_detail(
                kind, amount_fen, project.committed_fen, project.returned_fen, project.disbursed_fen
            ),
            unspent_fen=unspent,
            asked_fen=amount_fen,
            disbursed_fen=project.disbursed_fen,
            **rules.commitment_figures(project.committed_fen, project.returned_fen),
        )
    # Pilot row first, then project: the same order as commitments, so writers never deadlock.
    pilot = await ledger_service.move_pilot(session, project.pilot_id, rules.pilot_delta(kind, amount_fen))
    proj = await ledger_service.move_project(session, project_id, rules.project_delta(kind, amount_fen))
    # Which sources the money comes from (a payment) or goes back to (a return).
    shares: draws_service.Shares = []
    paid: draws_service.Shares = []
    if kind == LedgerKind.return_:
        shares = await draws_service.give_back(session, project.pilot_id, project_id, amount_fen)
    else:
        paid = await draws_service.pay(session, project.pilot_id, project_id, amount_fen)
    entry = LedgerEntry(
        pilot_id=project.pilot_id,
        programme_year=ctx.pilot.year,
        kind=kind,
        amount_fen=amount_fen,
        entry_date=entry_date,
        project_id=project_id,
        document_ref=document_ref,
        note=note,
    )
    await _append(
        session,
        actor,
        ctx,
        entry,
        {
            "pilot": pilot,
            "project": proj,
            "sources": draws_service.audited(shares),
            "paid_from": draws_service.audited(paid),
        },
    )
    await draws_service.record(session, entry, shares, paid)
    return entry


async def disburse(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    amount_fen: int,
    entry_date: date,
    *,
    document_ref: str | None = None,
    note: str | None = None,
) -> LedgerEntry:
    """A payment to the project's implementer, never beyond what is still committed and unpaid."""
    return await _project_movement(
        session, actor, LedgerKind.disbursement, project_id, amount_fen, entry_date, document_ref, note
    )


async def return_unspent(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    amount_fen: int,
    entry_date: date,
    *,
    document_ref: str | None = None,
    note: str | None = None,
) -> LedgerEntry:
    """Give a project's unspent (committed, unpaid) money back to its pilot's uncommitted funds."""
    return await _project_movement(
        session, actor, LedgerKind.return_, project_id, amount_fen, entry_date, document_ref, note
    )


async def reverse(
    session: AsyncSession, actor: Actor, entry: LedgerEntry, entry_date: date, reason: str
) -> LedgerEntry:
    """Undo one entry by a new, opposite entry (the only way to undo; nothing is edited or deleted)."""
    ctx = await pilot_context(session, entry.pilot_id)
    already = await session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id))
    source = await session.get(FundSource, entry.fund_source_id) if entry.fund_source_id else None
    problem = rules.reversal_problem(
        entry.kind, already is not None, entry.entry_date, entry_date, source.kind if source else None
    )
    if problem:
        raise Conflict(problem, code="not_reversible")
    # Undoing a payment or a return is dated as freely as the entry it undoes (after the year too).
    as_kind = entry.kind if entry.kind in rules.AFTER_YEAR_KINDS else LedgerKind.reversal
    problem = rules.date_problem(
        as_kind,
        entry_date,
        ctx.programme.starts_on,
        ctx.programme.ends_on,
        ctx.programme.closing_date,
        today=clock.today(),
    )
    if problem:
        raise Unprocessable(problem, code="date_outside_programme")
    balances: dict[str, Any] = {
        "pilot": await ledger_service.move_pilot(
            session, entry.pilot_id, rules.pilot_delta(entry.kind, entry.amount_fen).scaled(-1)
        )
    }
    project_change = rules.project_delta(entry.kind, entry.amount_fen)
    if project_change is not None:
        balances["project"] = await ledger_service.move_project(session, entry.project_id, project_change.scaled(-1))
    shares: draws_service.Shares = []
    paid: draws_service.Shares = []
    if entry.kind == LedgerKind.funds_in:
        balances["source"] = await ledger_service.move_source(
            session, entry.fund_source_id, received_fen=-entry.amount_fen
        )
    else:
        shares, paid = await draws_service.undo(session, entry)
        balances["sources"] = draws_service.audited(shares)
        balances["paid_from"] = draws_service.audited(paid)
    reversal = LedgerEntry(
        pilot_id=entry.pilot_id,
        programme_year=entry.programme_year,  # the reversed entry's: the key (reverses_id, year) names it
        kind=LedgerKind.reversal,
        amount_fen=entry.amount_fen,
        entry_date=entry_date,
        fund_source_id=entry.fund_source_id,
        project_id=entry.project_id,
        reverses_id=entry.id,
        reverses_kind=entry.kind,
        note=reason,
    )
    try:
        await _append(session, actor, ctx, reversal, balances)
    except IntegrityError as exc:
        # Two reversals of one entry raced; the unique reverses_id let only one through.
        raise Conflict("This entry has already been reversed.", code="not_reversible") from exc
    await draws_service.record(session, reversal, shares, paid)
    return reversal
