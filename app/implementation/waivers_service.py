"""Waiving open milestones with a reason: one way, whether one is dropped mid-way or several at closure."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.implementation.models import Implementation, Milestone


async def waive(
    session: AsyncSession, principal: Principal, impl: Implementation, waivers: Sequence[tuple[Milestone, str]]
) -> None:
    """Mark each (open) milestone waived with its reason and record them in one audit event."""
    if not waivers:
        return
    for milestone, reason in waivers:
        milestone.waived_reason, milestone.waived_by = reason, principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "milestone.waive",
        "proposal",
        impl.proposal_id,
        after={"milestones": [{"id": str(m.id), "title": m.title, "reason": reason} for m, reason in waivers]},
        region_path=impl.region_path,
    )
