"""Which fund source bears each commitment, payment, return and reversal, so that per source, as per pilot,
received = committed + uncommitted + swept, and paid <= committed.

A commitment draws on the pilot's sources in the fixed order of rules.DRAW_ORDER; a payment spends the project's
committed money per source in the same order; a return gives the project's committed, unpaid money back to the
sources it drew on, in the opposite order. Every caller has already moved the pilot's balance row (its UPDATE
holds the row lock until commit), so the sources read here cannot change underneath.
"""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.funds import ledger_service, rules
from app.funds.models import FundDraw, FundPayment, FundSource, LedgerEntry, LedgerKind

Shares = list[tuple[uuid.UUID, int]]


async def sources_in_order(session: AsyncSession, pilot_id: uuid.UUID) -> list[FundSource]:
    """The pilot's sources in draw order, read fresh."""
    rows = (
        await session.scalars(
            select(FundSource).where(FundSource.pilot_id == pilot_id).execution_options(populate_existing=True)
        )
    ).all()
    return sorted(rows, key=lambda s: (rules.draw_rank(s.kind), s.dated, s.created_at, s.id))


def uncommitted(source: FundSource) -> int:
    """What the source still holds for new commitments."""
    return source.received_fen - source.committed_fen - source.swept_fen


async def _apply(session: AsyncSession, shares: Shares) -> list[dict[str, Any]]:
    moved = []
    for source_id, amount in shares:
        row = await ledger_service.move_source(session, source_id, committed_fen=amount)
        moved.append({"fund_source_id": source_id, "amount_fen": amount, "committed_fen": row["committed_fen"]})
    return moved


async def draw(
    session: AsyncSession, pilot_id: uuid.UUID, amount_fen: int, only_source_id: uuid.UUID | None = None
) -> Shares:
    """Draw a commitment on the pilot's sources in order (earmarked ones only when named); the shares taken."""
    sources = await sources_in_order(session, pilot_id)
    usable = [s for s in sources if (s.id == only_source_id if only_source_id else s.kind not in rules.EARMARKED_KINDS)]
    available = [(s.id, uncommitted(s)) for s in usable]
    try:
        shares = rules.split_draw(available, amount_fen)
    except ValueError as exc:  # the pilot's guard passed, so only a source out of step gets here
        raise ledger_service.refusal("insufficient_funds", "资金来源的未承诺余额不足。") from exc
    await _apply(session, shares)
    return shares


async def _per_source(
    session: AsyncSession, model: type[FundDraw] | type[FundPayment], project_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(model.fund_source_id, func.sum(model.amount_fen))
        .where(model.project_id == project_id)
        .group_by(model.fund_source_id)
    )
    return {source_id: int(amount or 0) for source_id, amount in rows.all()}


async def project_sources(
    session: AsyncSession, pilot_id: uuid.UUID, project_id: uuid.UUID
) -> list[tuple[uuid.UUID, int, int]]:
    """The project's (source, committed net of returns, paid) in draw order."""
    net = await _per_source(session, FundDraw, project_id)
    paid = await _per_source(session, FundPayment, project_id)
    return [(s.id, net.get(s.id, 0), paid.get(s.id, 0)) for s in await sources_in_order(session, pilot_id)]


async def give_back(session: AsyncSession, pilot_id: uuid.UUID, project_id: uuid.UUID, amount_fen: int) -> Shares:
    """Return a project's committed, unpaid money to the sources it drew on, last in the draw order first; the
    (negative) shares."""
    held = [(key, net - paid) for key, net, paid in reversed(await project_sources(session, pilot_id, project_id))]
    try:
        shares = [(key, -amount) for key, amount in rules.split_draw(held, amount_fen)]
    except ValueError as exc:
        raise ledger_service.refusal("over_commitment", "项目从各资金来源承诺的金额不足以退回。") from exc
    await _apply(session, shares)
    return shares


async def _apply_paid(session: AsyncSession, shares: Shares) -> None:
    # Off first, then on: a source never holds more paid than committed in between.
    for source_id, amount in sorted(shares, key=lambda share: share[1]):
        await ledger_service.move_source(session, source_id, paid_fen=amount)


async def pay(session: AsyncSession, pilot_id: uuid.UUID, project_id: uuid.UUID, amount_fen: int) -> Shares:
    """A payment spends the project's committed, unpaid money per source in the draw order; the shares."""
    room = [(key, net - paid) for key, net, paid in await project_sources(session, pilot_id, project_id)]
    try:
        shares = rules.split_draw(room, amount_fen)
    except ValueError as exc:
        raise ledger_service.refusal("over_commitment", "项目从各资金来源承诺的金额不足以拨付。") from exc
    await _apply_paid(session, shares)
    return shares


async def undo(session: AsyncSession, entry: LedgerEntry) -> tuple[Shares, Shares]:
    """The opposite of an entry's draws and payments (its reversal): (draws, payments).

    Undoing a payment takes its shares back as far as each source is still paid from (else from the project's
    other paid money, last in the draw order first). Undoing a commitment that leaves a source paid beyond its
    share moves the excess payment to the project's other sources first (rules.reattribute_paid)."""
    rows = (
        await session.execute(
            select(FundDraw.fund_source_id, FundDraw.amount_fen)
            .where(FundDraw.entry_id == entry.id)
            .order_by(FundDraw.id)
        )
    ).all()
    shares = [(source_id, -amount) for source_id, amount in rows]
    paid_shares: Shares = []
    if entry.kind == LedgerKind.disbursement:
        own = (
            await session.execute(
                select(FundPayment.fund_source_id, FundPayment.amount_fen)
                .where(FundPayment.entry_id == entry.id)
                .order_by(FundPayment.id)
            )
        ).all()
        held = await project_sources(session, entry.pilot_id, entry.project_id)
        try:
            paid_shares = rules.unpay_split(
                [(key, amount) for key, amount in own], [(key, paid) for key, _net, paid in held], entry.amount_fen
            )
        except ValueError as exc:
            raise ledger_service.refusal("over_commitment", "该项目按资金来源记录的已拨付金额不足以冲销。") from exc
    elif shares and entry.project_id is not None:
        change = dict(shares)
        held = await project_sources(session, entry.pilot_id, entry.project_id)
        try:
            paid_shares = rules.reattribute_paid(
                [(key, net + change.get(key, 0)) for key, net, _ in held], {key: paid for key, _net, paid in held}
            )
        except ValueError as exc:
            raise ledger_service.refusal(
                "over_commitment",
                "冲销后项目的承诺将少于已拨付金额。The project would have paid out more than it would have committed.",
            ) from exc
    await _apply_paid(session, paid_shares)
    await _apply(session, shares)
    return shares, paid_shares


async def record(session: AsyncSession, entry: LedgerEntry, shares: Shares, paid: Shares | None = None) -> None:
    """Keep the shares (of commitments) and the paid shares with their (flushed) entry."""
    for source_id, amount in shares:
        session.add(
            FundDraw(
                entry_id=entry.id,
                entry_year=entry.programme_year,
                fund_source_id=source_id,
                pilot_id=entry.pilot_id,
                project_id=entry.project_id,
                amount_fen=amount,
            )
        )
    for source_id, amount in paid or []:
        session.add(
            FundPayment(
                entry_id=entry.id,
                entry_year=entry.programme_year,
                fund_source_id=source_id,
                pilot_id=entry.pilot_id,
                project_id=entry.project_id,
                amount_fen=amount,
            )
        )
    await session.flush()


def audited(shares: Shares) -> list[dict[str, Any]]:
    """The shares as the audit event keeps them."""
    return [{"fund_source_id": str(source_id), "amount_fen": amount} for source_id, amount in shares]
