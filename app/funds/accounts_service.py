"""A pilot's account: opened on designation with its district subsidy source; closed out at year end.

Called by the programmes service, so it reads programme and pilot rows but never imports that service.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped

from app.audit.service import Actor
from app.funds import draws_service, ledger_service, rules
from app.funds.models import (
    FundSource,
    FundSourceKind,
    LedgerEntry,
    LedgerKind,
    PilotBalance,
    ProjectBalance,
    ReturnTarget,
)
from app.programmes.models import Pilot, Programme, ProgrammeStatus


async def open_pilot_account(
    session: AsyncSession, actor: Actor, pilot: Pilot, programme: Programme, subsidy_fen: int
) -> FundSource:
    """The pilot's zero balance row and its district subsidy source (planned at the programme's amount)."""
    await ledger_service.open_pilot_balance(session, pilot.id)
    source = FundSource(
        pilot_id=pilot.id,
        kind=FundSourceKind.district_subsidy,
        payer="区财政",
        document_ref=f"{programme.year}年度计划 {programme.name}"[:100],
        # Dated inside the programme period even when pilots are designated before it starts.
        dated=min(max(pilot.designated_at.date(), programme.starts_on), programme.ends_on),
        planned_fen=subsidy_fen,
        created_by=actor.id,
        returns_to=ReturnTarget.district,
    )
    session.add(source)
    await session.flush()
    return source


async def uncommitted_fen(session: AsyncSession, pilot_id: uuid.UUID) -> int:
    """What a pilot can still promise to projects: money received, or planned if more (a vote often runs before
    the subsidy arrives), less what is committed and not returned, less what year end moved out."""
    balance = await session.get(PilotBalance, pilot_id)
    planned = await session.scalar(
        select(func.coalesce(func.sum(FundSource.planned_fen), 0)).where(FundSource.pilot_id == pilot_id)
    )
    if balance is None:
        return int(planned or 0)
    funds = max(balance.funds_in_fen, int(planned or 0))
    return max(0, funds - (balance.committed_fen - balance.returned_fen) - balance.transferred_out_fen)


async def lock_balance(session: AsyncSession, pilot_id: uuid.UUID) -> None:
    """Take the pilot's balance row lock (PostgreSQL) and refresh it: promises made from the pilot's money (a
    round's budget) are then decided one at a time, and in turn with the ledger's guarded UPDATEs."""
    await session.execute(
        select(PilotBalance)
        .where(PilotBalance.pilot_id == pilot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def has_commitment(project_id: ColumnElement[Any] | Mapped[Any]) -> ColumnElement[bool]:
    """SQL: whether the ledger holds a commitment for the project (its balance row exists from the first one)."""
    return exists().where(ProjectBalance.project_id == project_id)


async def _next_year_pilots(session: AsyncSession, programme: Programme) -> dict[uuid.UUID, tuple[Pilot, Programme]]:
    """Next year's pilots of the same district by community, while that programme is not closed."""
    rows = (
        await session.execute(
            select(Pilot, Programme)
            .join(Programme, Programme.id == Pilot.programme_id)
            .where(
                Programme.district_id == programme.district_id,
                Programme.year == programme.year + 1,
                Programme.status != ProgrammeStatus.closed,
            )
        )
    ).all()
    return {pilot.community_id: (pilot, nxt) for pilot, nxt in rows}


async def year_end(session: AsyncSession, actor: Actor, programme: Programme, policy: str) -> list[dict[str, Any]]:
    """Carry each source's uncommitted part to next year's pilot or return it to the source's own funder (the
    district subsidy to the district, matching funds to the street, a donation as agreed), one ledger entry per
    source.

    The entries are dated on the programme's last day; the caller writes the one audit event.
    """
    balances = (
        await session.execute(
            select(Pilot, PilotBalance)
            .join(PilotBalance, PilotBalance.pilot_id == Pilot.id)
            .where(Pilot.programme_id == programme.id)
            .order_by(Pilot.id)
            # Lock the rows so the amount swept is the amount still uncommitted when the entry lands.
            .with_for_update(of=PilotBalance)
            .execution_options(populate_existing=True)
        )
    ).all()
    targets = await _next_year_pilots(session, programme) if policy == "carry_over" else {}
    lines: list[dict[str, Any]] = []
    for pilot, _balance in balances:
        target = targets.get(pilot.community_id)
        for source in await draws_service.sources_in_order(session, pilot.id):
            step = rules.year_end_step(draws_service.uncommitted(source), policy, target is not None)
            if step.action == "none":
                continue
            lines.append(await _close_out(session, actor, programme, pilot, source, step, target))
    await session.flush()
    return lines


async def _close_out(
    session: AsyncSession,
    actor: Actor,
    programme: Programme,
    pilot: Pilot,
    source: FundSource,
    step: rules.YearEndStep,
    target: tuple[Pilot, Programme] | None,
) -> dict[str, Any]:
    kind = LedgerKind.carry_over if step.action == "carry_over" else LedgerKind.sweep
    await ledger_service.move_pilot(session, pilot.id, rules.pilot_delta(kind, step.amount_fen))
    await ledger_service.move_source(session, source.id, swept_fen=step.amount_fen)
    label = rules.SOURCE_LABELS[source.kind]
    what = "结转" if kind == LedgerKind.carry_over else rules.RETURN_TARGET_LABELS[source.returns_to]
    out = LedgerEntry(
        pilot_id=pilot.id,
        programme_year=pilot.year,
        kind=kind,
        amount_fen=step.amount_fen,
        entry_date=programme.ends_on,
        fund_source_id=source.id,
        counterpart_pilot_id=target[0].id if target and kind == LedgerKind.carry_over else None,
        note=f"{programme.year} 年终{what}（{label}）",
        recorded_by=actor.id,
    )
    session.add(out)
    line = {
        "pilot_id": str(pilot.id),
        "community_id": str(pilot.community_id),
        "action": step.action,
        "amount_fen": step.amount_fen,
        "target_pilot_id": None,
        "fund_source_id": str(source.id),
        "source_kind": source.kind.value,
        "returns_to": source.returns_to.value,
    }
    if kind == LedgerKind.carry_over:
        next_pilot, next_programme = target
        await session.flush()
        await _carry_in(session, actor, out, source, next_pilot, next_programme, programme.year)
        line["target_pilot_id"] = str(next_pilot.id)
    return line


async def _carry_in(
    session: AsyncSession,
    actor: Actor,
    out: LedgerEntry,
    origin: FundSource,
    pilot: Pilot,
    programme: Programme,
    from_year: int,
) -> None:
    # The carried part stays its funder's money: next year's sweep returns it to the same place.
    source = FundSource(
        pilot_id=pilot.id,
        kind=FundSourceKind.carry_over,
        payer=f"{from_year}年度试点结转（{rules.SOURCE_LABELS[origin.kind]}）"[:200],
        document_ref=f"ledger {out.id}",
        dated=programme.starts_on,
        planned_fen=out.amount_fen,
        created_by=actor.id,
        returns_to=origin.returns_to,
    )
    session.add(source)
    await session.flush()
    await ledger_service.move_pilot(session, pilot.id, rules.pilot_delta(LedgerKind.funds_in, out.amount_fen))
    await ledger_service.move_source(session, source.id, received_fen=out.amount_fen)
    session.add(
        LedgerEntry(
            pilot_id=pilot.id,
            programme_year=pilot.year,
            kind=LedgerKind.funds_in,
            amount_fen=out.amount_fen,
            entry_date=programme.starts_on,
            fund_source_id=source.id,
            counterpart_pilot_id=out.pilot_id,
            note=f"{from_year} 年终结转转入",
            recorded_by=actor.id,
        )
    )
