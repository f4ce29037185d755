"""Expenditures: payments by the implementer, each with an invoice, never beyond the confirmed budget."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.errors import Conflict, Unprocessable
from app.implementation import standing
from app.implementation.models import Expenditure, Implementation, ImplementationStatus
from app.implementation.schemas import ExpenditureCreate
from app.notices.rules import today
from app.proposals.models import BudgetLine

# Spending is recorded until the project closes (rectification may still cost money).
OPEN = (ImplementationStatus.in_progress, ImplementationStatus.payment_stopped, ImplementationStatus.rectification,
        ImplementationStatus.accepted)


async def spent_fen(session: AsyncSession, impl: Implementation) -> int:
    """What the project has spent so far."""
    return int(await session.scalar(select(func.coalesce(func.sum(Expenditure.amount_fen), 0))
                                    .where(Expenditure.proposal_id == impl.proposal_id)) or 0)


async def record_expenditure(session: AsyncSession, principal: Principal, impl: Implementation,
                             body: ExpenditureCreate) -> Expenditure:
    """Record a payment; 409 beyond the remaining budget (the implementation row is locked while summing)."""
    await standing.lock(session, impl)  # concurrent payments queue here, so the sum holds
    standing.require_status(impl, *OPEN)
    line = await session.scalar(select(BudgetLine).where(BudgetLine.proposal_id == impl.proposal_id,
                                                         BudgetLine.position == body.budget_line))
    if line is None:
        raise Unprocessable(f"The project's budget has no line {body.budget_line}.", code="budget_line_unknown")
    if body.spent_on > today(utcnow()) or body.spent_on < impl.started_on:
        raise Unprocessable("spent_on must fall between the start of the project and today.",
                            code="spent_on_invalid")
    budget = impl.budget_fen
    spent = await spent_fen(session, impl)
    if spent + body.amount_fen > budget:
        raise Conflict(f"This payment would take spending to {spent + body.amount_fen} fen, above the confirmed "
                       f"budget of {budget} fen.", code="over_budget",
                       extra={"budget_fen": budget, "spent_fen": spent, "remaining_fen": budget - spent})
    expenditure = Expenditure(proposal_id=impl.proposal_id, budget_line_id=line.id, recorded_by=principal.actor.id,
                              **body.model_dump())
    session.add(expenditure)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("That invoice number is already recorded for this project.", code="invoice_duplicate") from exc
    await record(session, principal.actor, "expenditure.record", "proposal", impl.proposal_id,
                 after={"expenditure_id": str(expenditure.id), **body.model_dump(mode="json")},
                 region_path=impl.region_path)
    return expenditure


async def spending(session: AsyncSession, impl: Implementation) -> dict[str, Any]:
    """Budget, spent, remaining, and the payments by date."""
    budget = impl.budget_fen
    items = list(await session.scalars(select(Expenditure).where(Expenditure.proposal_id == impl.proposal_id)
                                       .order_by(Expenditure.spent_on, Expenditure.created_at)))
    spent = sum(e.amount_fen for e in items)
    return {"proposal_id": impl.proposal_id, "budget_fen": budget, "spent_fen": spent,
            "remaining_fen": budget - spent, "items": items}
