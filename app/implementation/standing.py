"""Where a project under way stands, read from its rows: the facts its gates look at, and what was paid."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import Conflict
from app.funds.models import LedgerEntry
from app.implementation import rules
from app.implementation.models import Implementation, ImplementationStatus, Milestone
from app.implementation.payment_models import Disbursement
from app.implementation.review_models import Acceptance, AcceptanceOutcome, MidTermReview, ReviewOutcome


async def lock(session: AsyncSession, impl: Implementation) -> Implementation:
    """Take the project's row lock: payments, changes, reviews and closure of one project queue here."""
    await session.refresh(impl, with_for_update=True)
    return impl


def require_status(impl: Implementation, *allowed: ImplementationStatus, code: str = "project_status") -> None:
    """409 unless the project stands where the step needs it."""
    if impl.status not in allowed:
        raise Conflict(
            f"This step is not open to a project that is {impl.status.value}.",
            code=code,
            extra={"project_status": impl.status.value, "allowed": [s.value for s in allowed]},
        )


async def latest_review(session: AsyncSession, impl: Implementation) -> MidTermReview | None:
    """The newest mid-term review attempt, if any."""
    return await session.scalar(
        select(MidTermReview)
        .where(MidTermReview.proposal_id == impl.proposal_id)
        .order_by(MidTermReview.attempt.desc())
        .limit(1)
    )


async def latest_acceptance(session: AsyncSession, impl: Implementation) -> Acceptance | None:
    """The newest acceptance inspection, if any."""
    return await session.scalar(
        select(Acceptance)
        .where(Acceptance.proposal_id == impl.proposal_id)
        .order_by(Acceptance.attempt.desc())
        .limit(1)
    )


async def facts(session: AsyncSession, impl: Implementation) -> rules.Facts:
    """The gate facts of the project as of today."""
    counts = (
        await session.execute(
            select(func.count(), func.count(Milestone.done_on)).where(
                Milestone.proposal_id == impl.proposal_id, Milestone.waived_reason.is_(None)
            )
        )
    ).one()
    review = await latest_review(session, impl)
    acceptance = await latest_acceptance(session, impl)
    passed = review is not None and review.outcome == ReviewOutcome.passed
    # The self-evaluation now expected: the first one, or a resubmission after a fail; none while one awaits review.
    due = (
        impl.mid_term_due_on
        if review is None
        else (review.resubmit_by if review.outcome == ReviewOutcome.failed else None)
    )
    return rules.Facts(
        status=impl.status,
        review_required=impl.mid_term_due_on is not None,
        review_passed=passed,
        review_overdue=due is not None and due < clock.today(),
        milestones_total=counts[0],
        milestones_done=counts[1],
        accepted=acceptance is not None and acceptance.outcome == AcceptanceOutcome.accepted,
    )


async def paid_by_instalment(session: AsyncSession, impl: Implementation) -> dict[int, int]:
    """What each instalment has been paid, leaving out payments whose ledger entry was reversed."""
    reversed_ = select(LedgerEntry.reverses_id).where(
        LedgerEntry.project_id == impl.proposal_id, LedgerEntry.reverses_id.is_not(None)
    )
    rows = await session.execute(
        select(Disbursement.instalment, func.sum(Disbursement.amount_fen))
        .where(Disbursement.proposal_id == impl.proposal_id, Disbursement.ledger_entry_id.not_in(reversed_))
        .group_by(Disbursement.instalment)
    )
    return {position: int(total) for position, total in rows.all()}


async def refuse_direct_movement(session: AsyncSession, project_id) -> None:
    """409 for a bare ledger payment or return of a project under way: those go by instalment, change or closure."""
    if await session.get(Implementation, project_id) is not None:
        raise Conflict(
            "This project is under implementation: pay it by instalment (/projects/{id}/disbursements), "
            "change its budget by a budget change, and return what is left at closure.",
            code="project_under_implementation",
        )
