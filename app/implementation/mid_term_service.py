"""Mid-term review (中期评估): a self-evaluation, then a staff review; a fail or a late one stops payment."""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SYSTEM, record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.implementation import policy as review_policy
from app.implementation import standing
from app.implementation.models import Implementation, ImplementationStatus
from app.implementation.review_models import MidTermReview, ReviewOutcome
from app.implementation.stages_schemas import ReviewDecision, SelfEvaluationCreate
from app.voting import policy

_OPEN = (ImplementationStatus.in_progress, ImplementationStatus.payment_stopped)


def _snapshot(review: MidTermReview) -> dict:
    return {
        "review_id": str(review.id),
        "attempt": review.attempt,
        "due_on": review.due_on,
        "submitted_on": review.submitted_on,
        "late": review.late,
        "outcome": review.outcome.value if review.outcome else None,
        "note": review.review_note,
        "resubmit_by": review.resubmit_by,
    }


def _due(impl: Implementation, latest: MidTermReview | None) -> date:
    """When the next self-evaluation is due, or 409 why none is expected."""
    if impl.mid_term_due_on is None:
        raise Conflict("The programme asks for no mid-term review of this project.", code="no_mid_term_review")
    if latest is None:
        return impl.mid_term_due_on
    if latest.outcome is None:
        raise Conflict("A self-evaluation awaits review.", code="review_pending")
    if latest.outcome == ReviewOutcome.passed:
        raise Conflict("The mid-term review has passed.", code="review_passed")
    if latest.resubmit_by is None:
        raise Conflict("The review failed and no resubmission was allowed.", code="no_resubmission")
    return latest.resubmit_by


async def submit(
    session: AsyncSession, principal: Principal, impl: Implementation, body: SelfEvaluationCreate
) -> MidTermReview:
    """File the self-evaluation; one filed after its due date fails at once and stops payment."""
    policy.check_organise(principal, impl.region_path, "implementation")
    await standing.lock(session, impl)
    standing.require_status(impl, *_OPEN)
    latest = await standing.latest_review(session, impl)
    due = _due(impl, latest)
    submitted_on = body.submitted_on or clock.today()
    if submitted_on > clock.today() or submitted_on < impl.started_on:
        raise Unprocessable(
            "submitted_on must fall between the start of the project and today.", code="submitted_on_invalid"
        )
    review = MidTermReview(
        proposal_id=impl.proposal_id,
        attempt=(latest.attempt if latest else 0) + 1,
        due_on=due,
        self_evaluation=body.self_evaluation,
        submitted_on=submitted_on,
        late=submitted_on > due,
        submitted_by=principal.actor.id,
    )
    if review.late:
        review.outcome, review.review_note = ReviewOutcome.failed, f"逾期提交（应于 {due.isoformat()} 前提交）"
        review.reviewed_by, review.reviewed_at = SYSTEM.label, utcnow()
        impl.status = ImplementationStatus.payment_stopped
    session.add(review)
    await session.flush()
    await record(
        session,
        principal.actor,
        "mid_term.submit",
        "proposal",
        impl.proposal_id,
        after=_snapshot(review),
        region_path=impl.region_path,
    )
    return review


async def decide(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, body: ReviewDecision
) -> MidTermReview:
    """Pass (payments go on) or fail (payments stop; a resubmission date may be allowed)."""
    review = await get_or_404(
        session,
        MidTermReview,
        review_id,
        code="review_not_found",
        detail="No mid-term review with that id.",
        fresh=True,
    )
    impl = await session.get(Implementation, review.proposal_id)
    review_policy.check_review(principal, impl.region_path)
    await standing.lock(session, impl)
    await session.refresh(review)
    if review.outcome is not None:
        raise Conflict(f"This review is already {review.outcome.value}.", code="review_decided")
    if body.resubmit_by is not None and body.resubmit_by <= clock.today():
        raise Unprocessable("resubmit_by must be a future date.", code="resubmit_by_invalid")
    review.outcome, review.review_note, review.resubmit_by = body.outcome, body.note, body.resubmit_by
    review.reviewed_by, review.reviewed_at = principal.actor.id, utcnow()
    impl.status = (
        ImplementationStatus.in_progress
        if body.outcome == ReviewOutcome.passed
        else ImplementationStatus.payment_stopped
    )
    await session.flush()
    await record(
        session,
        principal.actor,
        "mid_term.decide",
        "proposal",
        impl.proposal_id,
        after=_snapshot(review),
        region_path=impl.region_path,
    )
    return review


async def reviews(session: AsyncSession, impl: Implementation) -> list[MidTermReview]:
    """Every attempt, first first."""
    return list(
        await session.scalars(
            select(MidTermReview).where(MidTermReview.proposal_id == impl.proposal_id).order_by(MidTermReview.attempt)
        )
    )
