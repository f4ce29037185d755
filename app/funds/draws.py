"""Which fund source bears each commitment, return and reversal, so that per source, as per pilot,
received = committed + uncommitted + swept.

A commitment draws on the pilot's sources in the fixed order of rules.DRAW_ORDER; a return gives the project's
money back to the sources it drew on, in the opposite order. Every caller has already moved the pilot's balance
row (its UPDATE holds the row lock until commit), so the sources read here cannot change underneath.
"""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.funds import ledger, rules
from app.funds.models import FundDraw, FundSource, LedgerEntry

Shares = list[tuple[uuid.UUID, int]]


async def sources_in_order(session: AsyncSession, pilot_id: uuid.UUID) -> list[FundSource]:
    """The pilot's sources in draw order, read fresh."""
    rows = (await session.scalars(select(FundSource).where(FundSource.pilot_id == pilot_id)
                                  .execution_options(populate_existing=True))).all()
    return sorted(rows, key=lambda s: (rules.draw_rank(s.kind), s.dated, s.created_at, s.id))


def uncommitted(source: FundSource) -> int:
    """What the source still holds for new commitments."""
    return source.received_fen - source.committed_fen - source.swept_fen


async def _apply(session: AsyncSession, shares: Shares) -> list[dict[str, Any]]:
    moved = []
    for source_id, amount in shares:
        row = await ledger.move_source(session, source_id, committed_fen=amount)
        moved.append({"fund_source_id": source_id, "amount_fen": amount, "committed_fen": row["committed_fen"]})
    return moved


async def draw(session: AsyncSession, pilot_id: uuid.UUID, amount_fen: int,
               only_source_id: uuid.UUID | None = None) -> Shares:
    """Draw a commitment on the pilot's sources in order (earmarked ones only when named); the shares taken."""
    sources = await sources_in_order(session, pilot_id)
    usable = [s for s in sources if (s.id == only_source_id if only_source_id else s.kind not in rules.EARMARKED_KINDS)]
    available = [(s.id, uncommitted(s)) for s in usable]
    try:
        shares = rules.split_draw(available, amount_fen)
    except ValueError as exc:  # the pilot's guard passed, so only a source out of step gets here
        raise ledger.refusal("insufficient_funds", "资金来源的未承诺余额不足。") from exc
    await _apply(session, shares)
    return shares


async def give_back(session: AsyncSession, pilot_id: uuid.UUID, project_id: uuid.UUID, amount_fen: int) -> Shares:
    """Return a project's money to the sources it drew on, last in the draw order first; the (negative) shares."""
    net = dict((await session.execute(
        select(FundDraw.fund_source_id, func.sum(FundDraw.amount_fen)).where(FundDraw.project_id == project_id)
        .group_by(FundDraw.fund_source_id))).all())
    held = [(s.id, int(net.get(s.id) or 0)) for s in reversed(await sources_in_order(session, pilot_id))]
    try:
        shares = [(key, -amount) for key, amount in rules.split_draw(held, amount_fen)]
    except ValueError as exc:
        raise ledger.refusal("over_commitment", "项目从各资金来源承诺的金额不足以退回。") from exc
    await _apply(session, shares)
    return shares


async def undo(session: AsyncSession, entry: LedgerEntry) -> Shares:
    """The opposite of an entry's draws (its reversal)."""
    rows = (await session.execute(select(FundDraw.fund_source_id, FundDraw.amount_fen)
                                  .where(FundDraw.entry_id == entry.id).order_by(FundDraw.id))).all()
    shares = [(source_id, -amount) for source_id, amount in rows]
    await _apply(session, shares)
    return shares


async def record(session: AsyncSession, entry: LedgerEntry, shares: Shares) -> None:
    """Keep the shares with their (flushed) entry."""
    for source_id, amount in shares:
        session.add(FundDraw(entry_id=entry.id, fund_source_id=source_id, pilot_id=entry.pilot_id,
                             project_id=entry.project_id, amount_fen=amount))
    await session.flush()


def audited(shares: Shares) -> list[dict[str, Any]]:
    """The shares as the audit event keeps them."""
    return [{"fund_source_id": str(source_id), "amount_fen": amount} for source_id, amount in shares]
