"""A project's budget lines as they stand: the proposal's lines, as amended by the budget changes applied since.

Lines are never edited in place: the proposal keeps what residents voted on, each applied change keeps
what it moved, and the current amounts follow from both.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.implementation.models import Expenditure, Implementation
from app.implementation.payment_models import BudgetChange, BudgetChangeState
from app.proposals.models import BudgetLine


@dataclass(frozen=True)
class Line:
    """One budget line now: its proposal row, position, item and current amount."""

    id: object
    position: int
    item: str
    amount_fen: int


async def current(session: AsyncSession, impl: Implementation) -> dict[int, Line]:
    """The project's lines by position, with the amounts the applied budget changes gave them."""
    rows = (
        await session.scalars(
            select(BudgetLine).where(BudgetLine.proposal_id == impl.proposal_id).order_by(BudgetLine.position)
        )
    ).all()
    amounts = {r.position: r.amount_fen for r in rows}
    changes = await session.scalars(
        select(BudgetChange.line_changes)
        .where(
            BudgetChange.proposal_id == impl.proposal_id,
            BudgetChange.state == BudgetChangeState.applied,
            BudgetChange.line_changes.is_not(None),
        )
        .order_by(BudgetChange.decided_at, BudgetChange.id)
    )
    for moved in changes.all():
        for change in moved or []:
            amounts[change["budget_line"]] = change["new_fen"]
    return {r.position: Line(r.id, r.position, r.item, amounts[r.position]) for r in rows}


async def spent_by_line(session: AsyncSession, impl: Implementation) -> dict[int, int]:
    """What the project has spent on each line, by position."""
    rows = await session.execute(
        select(Expenditure.budget_line, func.sum(Expenditure.amount_fen))
        .where(Expenditure.proposal_id == impl.proposal_id)
        .group_by(Expenditure.budget_line)
    )
    return {position: int(total) for position, total in rows.all()}
