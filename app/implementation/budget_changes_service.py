"""Budget changes (预算调整): small ones approved by community staff, large ones by a representative meeting.

Applying a change moves the project's commitment in the ledger by the difference: more is committed
from the pilot's uncommitted funds, less is given back to them.
"""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Actor, record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.deliberation.enums import MotionOutcome
from app.deliberation.models import Meeting, Motion
from app.funds import service as funds
from app.funds.models import ProjectBalance
from app.implementation import budget_lines_service, rules, standing
from app.implementation.models import Implementation, ImplementationStatus
from app.implementation.money_schemas import BudgetChangeCreate, BudgetChangeDecision
from app.implementation.payment_models import BudgetChange, BudgetChangeState
from app.implementation.spending_service import spent_fen
from app.programmes.service import pilot_context
from app.voting import policy, reservations_service

# A project may change until it is accepted; afterwards its figures are what acceptance saw.
CHANGEABLE = (
    ImplementationStatus.in_progress,
    ImplementationStatus.payment_stopped,
    ImplementationStatus.rectification,
)


async def awaits_meeting(session: AsyncSession, proposal_id: uuid.UUID) -> bool:
    """Whether a change of the project waits for a representative meeting (it may then go on an agenda)."""
    found = await session.scalar(
        select(BudgetChange.id).where(
            BudgetChange.proposal_id == proposal_id, BudgetChange.state == BudgetChangeState.awaiting_meeting
        )
    )
    return found is not None


def _snapshot(change: BudgetChange) -> dict:
    return {
        "change_id": str(change.id),
        "state": change.state.value,
        "needs_meeting": change.needs_meeting,
        "budget_fen": [change.old_budget_fen, change.new_budget_fen],
        "category": [change.old_category.value, change.new_category.value],
        "purpose_changed": change.old_purpose != change.new_purpose,
        "reason": change.reason,
        "line_changes": change.line_changes,
        "motion_id": str(change.motion_id) if change.motion_id else None,
        "lapsed_reason": change.lapsed_reason,
    }


async def _line_changes(session: AsyncSession, impl: Implementation, body: BudgetChangeCreate) -> list[dict]:
    """The lines whose amount the request changes, old and new; 422 for a line the project does not have."""
    lines = await budget_lines_service.current(session, impl)
    unknown = [a.budget_line for a in body.budget_lines or [] if a.budget_line not in lines]
    if unknown:
        raise Unprocessable(
            f"The project's budget has no line {unknown[0]}.",
            code="budget_line_unknown",
            extra={"budget_lines": unknown},
        )
    return [
        {
            "budget_line": a.budget_line,
            "item": lines[a.budget_line].item,
            "old_fen": lines[a.budget_line].amount_fen,
            "new_fen": a.amount_fen,
        }
        for a in body.budget_lines or []
        if a.amount_fen != lines[a.budget_line].amount_fen
    ]


async def _check_lines(session: AsyncSession, impl: Implementation, changes: list[dict]) -> None:
    problem = rules.line_problem(changes, await budget_lines_service.spent_by_line(session, impl))
    if problem:
        raise Unprocessable(problem, code="budget_change_invalid")


async def _check_budget(session: AsyncSession, impl: Implementation, new_budget_fen: int) -> None:
    balance = await session.get(ProjectBalance, impl.proposal_id, populate_existing=True)
    cap = (await pilot_context(session, impl.pilot_id)).rules.project_caps.cap_for(impl.project_type)
    problem = rules.budget_problem(new_budget_fen, balance.disbursed_fen, await spent_fen(session, impl), cap)
    if problem:
        raise Unprocessable(problem, code="budget_change_invalid")


async def request(
    session: AsyncSession, principal: Principal, impl: Implementation, body: BudgetChangeCreate
) -> BudgetChange:
    """Record a change; apply it at once when small, else hold it for a representative meeting."""
    policy.check_organise(principal, impl.region_path, "implementation")
    await standing.lock(session, impl)
    standing.require_status(impl, *CHANGEABLE)
    pending = await session.scalar(
        select(BudgetChange.id).where(
            BudgetChange.proposal_id == impl.proposal_id, BudgetChange.state == BudgetChangeState.awaiting_meeting
        )
    )
    if pending is not None:
        raise Conflict(
            "A change of this project awaits a representative meeting.",
            code="budget_change_pending",
            extra={"change_id": str(pending)},
        )
    new_budget = body.budget_fen or impl.budget_fen
    new_category = body.category or impl.category
    new_purpose = body.purpose or impl.purpose
    lines = await _line_changes(session, impl, body)
    if (new_budget, new_category, new_purpose) == (impl.budget_fen, impl.category, impl.purpose) and not lines:
        raise Unprocessable("The change changes nothing.", code="budget_change_empty")
    await _check_budget(session, impl, new_budget)
    await _check_lines(session, impl, lines)
    threshold = (await pilot_context(session, impl.pilot_id)).rules.implementation.budget_change_threshold_pct
    large = rules.needs_meeting(
        impl.budget_fen,
        new_budget,
        new_category != impl.category,
        new_purpose != impl.purpose,
        threshold,
        rules.lines_raised_fen(lines),
    )
    change = BudgetChange(
        proposal_id=impl.proposal_id,
        state=BudgetChangeState.awaiting_meeting,
        old_budget_fen=impl.budget_fen,
        new_budget_fen=new_budget,
        old_category=impl.category,
        new_category=new_category,
        old_purpose=impl.purpose,
        new_purpose=new_purpose,
        reason=body.reason,
        line_changes=lines or None,
        needs_meeting=large,
        requested_by=principal.actor.id,
    )
    session.add(change)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent large change got there first
        raise Conflict(
            "A change of this project awaits a representative meeting.", code="budget_change_pending"
        ) from exc
    await record(
        session,
        principal.actor,
        "budget_change.request",
        "proposal",
        impl.proposal_id,
        after=_snapshot(change),
        region_path=impl.region_path,
    )
    if not large:
        await _apply(session, principal.actor, impl, change, body.entry_date)
    return change


async def decide(
    session: AsyncSession, principal: Principal, change_id: uuid.UUID, body: BudgetChangeDecision
) -> BudgetChange:
    """Apply or reject a large change by the meeting's decided agenda item on this project."""
    change = await get_or_404(
        session,
        BudgetChange,
        change_id,
        code="budget_change_not_found",
        detail="No budget change with that id.",
        fresh=True,
    )
    impl = await session.get(Implementation, change.proposal_id)
    policy.check_organise(principal, impl.region_path, "implementation")
    await standing.lock(session, impl)
    await session.refresh(change)
    if change.state != BudgetChangeState.awaiting_meeting:
        raise Conflict(f"This change is already {change.state.value}.", code="budget_change_decided")
    motion = await session.get(Motion, body.motion_id)
    meeting = await session.get(Meeting, motion.meeting_id) if motion else None
    if motion is None or meeting is None or meeting.community_id != impl.community_id:
        raise Unprocessable("No agenda item of this community's meetings with that id.", code="motion_unknown")
    if motion.proposal_id != impl.proposal_id:
        raise Unprocessable("That agenda item is about another proposal.", code="motion_other_proposal")
    if motion.outcome not in (MotionOutcome.passed, MotionOutcome.failed):
        raise Conflict(
            "The meeting has not passed or rejected that item.",
            code="motion_undecided",
            extra={"outcome": motion.outcome.value if motion.outcome else None},
        )
    if motion.decided_at < change.requested_at:
        raise Conflict("That decision was taken before the change was requested.", code="motion_before_change")
    change.motion_id = motion.id
    if motion.outcome == MotionOutcome.failed:
        change.state, change.decided_by, change.decided_at = BudgetChangeState.rejected, principal.actor.id, utcnow()
        await session.flush()
        await record(
            session,
            principal.actor,
            "budget_change.reject",
            "proposal",
            impl.proposal_id,
            after=_snapshot(change),
            region_path=impl.region_path,
        )
        return change
    await _check_budget(session, impl, change.new_budget_fen)  # payments may have moved since the request
    await _check_lines(session, impl, change.line_changes or [])
    await _apply(session, principal.actor, impl, change, body.entry_date)
    return change


async def _apply(
    session: AsyncSession, actor: Actor, impl: Implementation, change: BudgetChange, entry_date: date | None
) -> None:
    day = entry_date or clock.today()
    difference = change.new_budget_fen - impl.budget_fen
    entry = None
    if difference > 0:
        # The ledger keeps the category the project was first committed under.
        balance = await session.get(ProjectBalance, impl.proposal_id)
        await reservations_service.refuse_taking_held_money(session, impl.pilot_id, difference, "追加预算")
        entry = await funds.commit_project(
            session,
            actor,
            impl.pilot_id,
            impl.proposal_id,
            impl.title,
            balance.category,
            difference,
            project_type=impl.project_type,
            entry_date=day,
            document_ref=f"预算调整 {change.id}"[:100],
        )
    elif difference < 0:
        entry = await funds.return_unspent(
            session, actor, impl.proposal_id, -difference, day, document_ref=f"预算调整 {change.id}"[:100]
        )
    impl.budget_fen, impl.category, impl.purpose = change.new_budget_fen, change.new_category, change.new_purpose
    change.state, change.decided_by, change.decided_at = BudgetChangeState.applied, actor.id, utcnow()
    change.ledger_entry_id = entry.id if entry else None
    change.ledger_entry_year = entry.programme_year if entry else None
    await session.flush()
    await record(
        session,
        actor,
        "budget_change.apply",
        "proposal",
        impl.proposal_id,
        after=_snapshot(change),
        region_path=impl.region_path,
    )


async def lapse_pending(session: AsyncSession, actor: Actor, impl: Implementation, reason: str) -> None:
    """A change still waiting for its meeting lapses, with the reason, when the project is accepted or ends:
    its figures are then what acceptance saw (or what was paid), and no meeting can move them any more."""
    change = await session.scalar(
        select(BudgetChange).where(
            BudgetChange.proposal_id == impl.proposal_id, BudgetChange.state == BudgetChangeState.awaiting_meeting
        )
    )
    if change is None:
        return
    change.state, change.lapsed_reason = BudgetChangeState.lapsed, reason
    change.decided_by, change.decided_at = actor.id, utcnow()
    await session.flush()
    await record(
        session,
        actor,
        "budget_change.lapse",
        "proposal",
        impl.proposal_id,
        after=_snapshot(change),
        region_path=impl.region_path,
    )


async def changes(session: AsyncSession, impl: Implementation) -> list[BudgetChange]:
    """Every change of the project, oldest first (public: 居务公开)."""
    return list(
        await session.scalars(
            select(BudgetChange)
            .where(BudgetChange.proposal_id == impl.proposal_id)
            .order_by(BudgetChange.requested_at, BudgetChange.id)
        )
    )
