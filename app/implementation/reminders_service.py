"""Events no request causes, found by looking (sweeps the notification worker runs, registered in
app/wiring.py): milestones past their due date, instalments whose condition is met. Each carries a dedupe key,
so every worker may sweep and each milestone is still raised once."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.implementation.disbursements_service import instalment_states
from app.implementation.models import Implementation, ImplementationStatus, Milestone
from app.notifications.models import NotificationEvent, NotificationKind
from app.notifications.outbox import emit_once
from app.proposals.models import Proposal


async def instalments_due(session: AsyncSession, limit: int = 500) -> int:
    """Raise an event for each instalment of a project under way that may be paid now (once per instalment);
    the finance staff over the project hear of it."""
    impls = list(
        await session.scalars(
            select(Implementation)
            .where(
                Implementation.status.in_(
                    (
                        ImplementationStatus.in_progress,
                        ImplementationStatus.rectification,
                        ImplementationStatus.accepted,
                    )
                )
            )
            .order_by(Implementation.created_at)
            .limit(limit)
        )
    )
    raised = 0
    for impl in impls:
        for state in await instalment_states(session, impl):
            if state.payable_fen <= 0 or state.refusal is not None:
                continue
            key = f"instalment_due:{impl.proposal_id}:{state.position}"
            raised += await emit_once(
                session,
                NotificationKind.instalment_due,
                "implementation",
                impl.proposal_id,
                key,
                {
                    "finance_for": impl.region_path,
                    "project_title": impl.title,
                    "position": state.position,
                    "payable_fen": state.payable_fen,
                },
            )
    return raised


async def overdue_milestones(session: AsyncSession, limit: int = 500) -> int:
    """Raise an event for each open milestone whose due date has passed (the caller commits); returns how many."""
    rows = (
        await session.execute(
            select(Milestone.id, Milestone.title, Milestone.due_on, Proposal.title, Proposal.community_id)
            .join(Proposal, Proposal.id == Milestone.proposal_id)
            .where(Milestone.due_on < clock.today(), Milestone.done_on.is_(None), Milestone.waived_reason.is_(None))
            .order_by(Milestone.due_on)
            .limit(limit)
        )
    ).all()
    keys = {f"milestone_overdue:{r[0]}": r for r in rows}
    if not keys:
        return 0
    known = set(
        await session.scalars(select(NotificationEvent.dedupe_key).where(NotificationEvent.dedupe_key.in_(list(keys))))
    )
    raised = 0
    for key, (mid, title, due_on, project, community) in keys.items():
        if key in known:
            continue
        raised += await emit_once(
            session,
            NotificationKind.milestone_overdue,
            "milestone",
            mid,
            key,
            {"staff_of": str(community), "project_title": project, "milestone": title, "due_on": due_on.isoformat()},
        )
    return raised
