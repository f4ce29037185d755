"""Expenditures: payments by the implementer, each with an invoice, never beyond the budget nor, past the
programme's tolerance, beyond their budget line."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.money import yuan
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.implementation import budget_lines_service, rules, standing
from app.implementation.models import Expenditure, Implementation, ImplementationStatus
from app.implementation.schemas import ExpenditureCreate
from app.programmes.service import pilot_context

# Spending is recorded until the project closes (rectification may still cost money).
OPEN = (
    ImplementationStatus.in_progress,
    ImplementationStatus.payment_stopped,
    ImplementationStatus.rectification,
    ImplementationStatus.accepted,
)


async def spent_fen(session: AsyncSession, impl: Implementation) -> int:
    """What the project has spent so far."""
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(Expenditure.amount_fen), 0)).where(
                Expenditure.proposal_id == impl.proposal_id
            )
        )
        or 0
    )


async def _check_line(session: AsyncSession, impl: Implementation, line: budget_lines_service.Line, asked: int) -> None:
    """409 when the payment takes its line past the line's amount and the programme's tolerance."""
    tolerance = (await pilot_context(session, impl.pilot_id)).rules.implementation.line_tolerance_pct
    spent = (await budget_lines_service.spent_by_line(session, impl)).get(line.position, 0)
    if rules.line_exceeded(line.amount_fen, spent, asked, tolerance):
        allowed = rules.line_allowance(line.amount_fen, tolerance)
        raise Conflict(
            f"第{line.position}项预算“{line.item}”为 {yuan(line.amount_fen)}（可超出 {tolerance}%，"
            f"至多 {yuan(allowed)}），已支出 {yuan(spent)}，本次 {yuan(asked)} 将超出；请先申请预算调整。 "
            f"Spending on budget line "
            f"{line.position} would pass its amount and tolerance: request a budget change first.",
            code="budget_line_exceeded",
            extra={
                "budget_line": line.position,
                "item": line.item,
                "line_amount_fen": line.amount_fen,
                "tolerance_pct": tolerance,
                "allowed_fen": allowed,
                "spent_fen": spent,
                "asked_fen": asked,
            },
        )


async def record_expenditure(
    session: AsyncSession, principal: Principal, impl: Implementation, body: ExpenditureCreate
) -> Expenditure:
    """Record a payment; 409 beyond the remaining budget (the implementation row is locked while summing)."""
    await standing.lock(session, impl)  # concurrent payments queue here, so the sum holds
    standing.require_status(impl, *OPEN)
    line = (await budget_lines_service.current(session, impl)).get(body.budget_line)
    if line is None:
        raise Unprocessable(f"The project's budget has no line {body.budget_line}.", code="budget_line_unknown")
    if body.spent_on > clock.today() or body.spent_on < impl.started_on:
        raise Unprocessable("spent_on must fall between the start of the project and today.", code="spent_on_invalid")
    budget = impl.budget_fen
    spent = await spent_fen(session, impl)
    if spent + body.amount_fen > budget:
        raise Conflict(
            f"本次支出后支出合计 {yuan(spent + body.amount_fen)}，将超过确定的预算 {yuan(budget)}。"
            "This payment would take spending above the confirmed budget.",
            code="over_budget",
            extra={"budget_fen": budget, "spent_fen": spent, "remaining_fen": budget - spent},
        )
    await _check_line(session, impl, line, body.amount_fen)
    expenditure = Expenditure(
        proposal_id=impl.proposal_id, budget_line_id=line.id, recorded_by=principal.actor.id, **body.model_dump()
    )
    session.add(expenditure)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("That invoice number is already recorded for this project.", code="invoice_duplicate") from exc
    await record(
        session,
        principal.actor,
        "expenditure.record",
        "proposal",
        impl.proposal_id,
        after={"expenditure_id": str(expenditure.id), **body.model_dump(mode="json")},
        region_path=impl.region_path,
    )
    return expenditure


async def spending(session: AsyncSession, impl: Implementation) -> dict[str, Any]:
    """Budget, spent, remaining, each budget line as it stands, and the payments by date."""
    budget = impl.budget_fen
    items = list(
        await session.scalars(
            select(Expenditure)
            .where(Expenditure.proposal_id == impl.proposal_id)
            .order_by(Expenditure.spent_on, Expenditure.created_at)
        )
    )
    spent = sum(e.amount_fen for e in items)
    by_line = await budget_lines_service.spent_by_line(session, impl)
    lines = [
        {
            "budget_line": line.position,
            "item": line.item,
            "amount_fen": line.amount_fen,
            "spent_fen": by_line.get(line.position, 0),
        }
        for line in (await budget_lines_service.current(session, impl)).values()
    ]
    return {
        "proposal_id": impl.proposal_id,
        "budget_fen": budget,
        "spent_fen": spent,
        "remaining_fen": budget - spent,
        "lines": lines,
        "items": items,
    }
