"""Events no request causes, found by looking: milestones past their due date. Each carries a dedupe key, so
every worker may sweep and each milestone is still raised once."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.common.upsert import insert_for
from app.implementation.models import Milestone
from app.notifications.models import EventStatus, NotificationEvent, NotificationKind
from app.proposals.models import Proposal


async def overdue_milestones(session: AsyncSession, limit: int = 500) -> int:
    """Raise an event for each open milestone whose due date has passed (the caller commits); returns how many."""
    rows = (await session.execute(
        select(Milestone.id, Milestone.title, Milestone.due_on, Proposal.title, Proposal.community_id)
        .join(Proposal, Proposal.id == Milestone.proposal_id)
        .where(Milestone.due_on < clock.today(), Milestone.done_on.is_(None), Milestone.waived_reason.is_(None))
        .order_by(Milestone.due_on).limit(limit))).all()
    keys = {f"milestone_overdue:{r[0]}": r for r in rows}
    if not keys:
        return 0
    known = set(await session.scalars(select(NotificationEvent.dedupe_key)
                                      .where(NotificationEvent.dedupe_key.in_(list(keys)))))
    now, raised = clock.now(), 0
    for key, (mid, title, due_on, project, community) in keys.items():
        if key in known:
            continue
        stmt = insert_for(session, NotificationEvent.__table__).values(
            id=uuid.uuid4(), kind=NotificationKind.milestone_overdue, subject_type="milestone", subject_id=mid,
            payload={"staff_of": str(community), "project_title": project, "milestone": title,
                     "due_on": due_on.isoformat()},
            available_at=now, status=EventStatus.pending, dedupe_key=key, created_at=now)
        result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]))
        raised += result.rowcount or 0
    return raised
