"""Balance rows moved by one guarded UPDATE each: the database, not a prior read, decides.

"Read the sum, then insert" lets concurrent writers all see the same headroom. Here each write is a
single UPDATE whose WHERE re-checks the invariants on the new values; PostgreSQL re-evaluates it on the
latest row version after waiting for the row lock, so exactly the affordable writes succeed. Rows are
always locked pilot first, then project, so two writers never wait on each other in opposite order.
"""

import uuid
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.errors import Conflict
from app.funds import rules
from app.funds.models import FundSource, LedgerEntry, PilotBalance, ProjectBalance
from app.funds.rules import Delta

_REFUSALS = {
    "insufficient_funds": "The pilot does not have enough uncommitted funds for this.",
    "over_commitment": "This would pay out or give back more than the project's commitment.",
    "negative_balance": "This would take a balance below zero.",
}


# CHECK constraint names (models.py) and the refusal each stands for.
_CHECK_CODES = (
    ("commitments_within_funds", "insufficient_funds"),
    ("source_paid_within_committed", "over_commitment"),
    ("source_within_received", "source_funds_committed"),
    ("non_negative", "negative_balance"),
)


def refusal(code: str, detail: str | None = None, **extra: Any) -> Conflict:
    """The 409 problem for a refused movement of money."""
    return Conflict(
        detail or _REFUSALS.get(code) or _SOURCE_REFUSALS.get(code, "Refused by the ledger."), code=code, extra=extra
    )


def _guarded_update(table, key_clause, columns, invariants, delta: Delta, extra_guard=None):
    new = {c: table.c[c] + getattr(delta, c) if getattr(delta, c) else table.c[c] for c in columns}
    guards = [holds(new) for _, holds in invariants]
    if extra_guard is not None:
        guards.append(extra_guard(new))
    values = {c: table.c[c] + v for c, v in delta.items()}
    return update(table).where(key_clause, and_(*guards)).values(**values, updated_at=utcnow()).returning(*table.c)


async def _run(session: AsyncSession, stmt) -> dict[str, Any] | None:
    try:
        row = (await session.execute(stmt)).mappings().first()
    except IntegrityError as exc:
        # The CHECK constraints caught what the guard did not: still a refusal, never a 500.
        message = str(exc.orig)
        code = next((c for name, c in _CHECK_CODES if name in message), "over_commitment")
        raise refusal(code, "The database refused the balance change.") from exc
    return dict(row) if row else None


async def move_pilot(session: AsyncSession, pilot_id: uuid.UUID, delta: Delta) -> dict[str, Any]:
    """Apply delta to the pilot's balance in one guarded UPDATE; 409 naming the broken rule if refused."""
    table = PilotBalance.__table__
    row = await _run(
        session,
        _guarded_update(table, table.c.pilot_id == pilot_id, rules.PILOT_COLUMNS, rules.PILOT_INVARIANTS, delta),
    )
    if row is not None:
        return row
    current = (await session.execute(select(table).where(table.c.pilot_id == pilot_id))).mappings().one()
    values = {c: current[c] for c in rules.PILOT_COLUMNS}
    code = rules.violation(rules.PILOT_INVARIANTS, values, delta) or "insufficient_funds"
    available = rules.available_fen(
        values["funds_in_fen"], values["committed_fen"], values["returned_fen"], values["transferred_out_fen"]
    )
    raise refusal(code, available_fen=available)


async def move_project(
    session: AsyncSession, project_id: uuid.UUID, delta: Delta, cap_fen: int | None = None
) -> dict[str, Any]:
    """Apply delta to the project's balance in one guarded UPDATE (cap included); 409 if refused."""
    table = ProjectBalance.__table__

    def cap_guard(new):
        return new["committed_fen"] - new["returned_fen"] <= cap_fen

    row = await _run(
        session,
        _guarded_update(
            table,
            table.c.project_id == project_id,
            rules.PROJECT_COLUMNS,
            rules.PROJECT_INVARIANTS,
            delta,
            cap_guard if cap_fen is not None else None,
        ),
    )
    if row is not None:
        return row
    current = (await session.execute(select(table).where(table.c.project_id == project_id))).mappings().one()
    values = {c: current[c] for c in rules.PROJECT_COLUMNS}
    unspent = rules.unspent_fen(values["committed_fen"], values["returned_fen"], values["disbursed_fen"])
    if cap_fen is not None and rules.over_cap(values["committed_fen"], values["returned_fen"], delta, cap_fen):
        raise refusal(
            "over_project_cap",
            f"项目承诺金额将超过上限 {rules.yuan_text(cap_fen)}。Above the project's cap.",
            cap_fen=cap_fen,
            committed_fen=values["committed_fen"] - values["returned_fen"],
        )
    code = rules.violation(rules.PROJECT_INVARIANTS, values, delta) or "over_commitment"
    raise refusal(code, unspent_fen=unspent)


async def ensure_project(session: AsyncSession, values: dict[str, Any]) -> None:
    """Create the project's balance row unless it exists (concurrent first commitments both pass)."""
    now = utcnow()
    stmt = (
        insert_for(session, ProjectBalance.__table__)
        .values(
            **values,
            committed_fen=0,
            returned_fen=0,
            disbursed_fen=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["project_id"])
    )
    await session.execute(stmt)


async def open_pilot_balance(session: AsyncSession, pilot_id: uuid.UUID) -> None:
    """The zeroed balance row of a newly designated pilot."""
    session.add(PilotBalance(pilot_id=pilot_id))
    await session.flush()


SOURCE_COLUMNS = ("received_fen", "committed_fen", "swept_fen", "paid_fen")
_SOURCE_REFUSALS = {
    "funds_in_over_plan": "到账金额将超过该资金来源的计划金额；如确属追加，请按追加资金登记并注明文件号。",
    "source_funds_committed": "该资金来源的款项已被项目承诺或年终转出，不能减少。",
}


async def move_source(
    session: AsyncSession,
    source_id: uuid.UUID,
    *,
    received_fen: int = 0,
    committed_fen: int = 0,
    swept_fen: int = 0,
    paid_fen: int = 0,
    within_plan: bool = False,
) -> dict[str, Any]:
    """Move one fund source's totals in one guarded UPDATE (within_plan: received stays within planned); 409 if
    refused. Callers hold the pilot's balance row first, so a pilot's sources are never raced."""
    table = FundSource.__table__
    c = table.c
    delta = {"received_fen": received_fen, "committed_fen": committed_fen, "swept_fen": swept_fen, "paid_fen": paid_fen}
    new = {k: c[k] + v for k, v in delta.items()}
    guards = [
        new["received_fen"] >= 0,
        new["committed_fen"] >= 0,
        new["swept_fen"] >= 0,
        new["committed_fen"] + new["swept_fen"] <= new["received_fen"],
        new["paid_fen"] >= 0,
        new["paid_fen"] <= new["committed_fen"],
    ]
    if within_plan:
        guards.append(or_(c.planned_fen.is_(None), new["received_fen"] <= c.planned_fen))
    stmt = (
        update(table)
        .where(c.id == source_id, and_(*guards))
        .values(**{k: c[k] + v for k, v in delta.items() if v})
        .returning(*table.c)
    )
    row = await _run(session, stmt)
    if row is not None:
        return row
    current = (await session.execute(select(table).where(c.id == source_id))).mappings().one()
    if within_plan and rules.over_plan(current["planned_fen"], current["received_fen"], received_fen):
        planned, received = current["planned_fen"], current["received_fen"]
        detail = (
            f"该资金来源计划 {rules.yuan_text(planned)}，已到账 {rules.yuan_text(received)}，本次登记 "
            f"{rules.yuan_text(received_fen)}，将超出计划；如确属追加，请以 supplement 登记并注明文件号。"
            f" Funds in beyond the planned amount need supplement: true and a document reference."
        )
        raise refusal("funds_in_over_plan", detail, planned_fen=planned, received_fen=received, asked_fen=received_fen)
    if current["paid_fen"] + paid_fen > current["committed_fen"] + committed_fen or current["paid_fen"] + paid_fen < 0:
        raise refusal(
            "over_commitment",
            "资金来源的已拨付金额将超过其承担的承诺。A source would pay out more than it bears of commitments.",
            fund_source_id=str(source_id),
            committed_fen=current["committed_fen"],
            paid_fen=current["paid_fen"],
        )
    raise refusal(
        "source_funds_committed",
        _SOURCE_REFUSALS["source_funds_committed"],
        fund_source_id=str(source_id),
        received_fen=current["received_fen"],
        committed_fen=current["committed_fen"],
        swept_fen=current["swept_fen"],
    )


def entries_statement(pilot_id: uuid.UUID) -> Select[tuple[LedgerEntry]]:
    """The pilot's ledger entries in the order they were recorded."""
    return select(LedgerEntry).where(LedgerEntry.pilot_id == pilot_id).order_by(LedgerEntry.recorded_at, LedgerEntry.id)


async def pilot_balance(session: AsyncSession, pilot_id: uuid.UUID) -> PilotBalance:
    """The pilot's balance row, read afresh (the session may hold an older copy)."""
    return await session.get_one(PilotBalance, pilot_id, populate_existing=True)
