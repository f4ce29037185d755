"""What the public reads about meetings (居务公开): announcements, and once closed the decisions with tallies."""

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.deliberation.meetings_service import get_meeting
from app.deliberation.models import Meeting, Motion


def meetings_statement(community_id: uuid.UUID | None) -> Select:
    """Announced, held and cancelled meetings, newest first."""
    stmt = select(Meeting)
    if community_id:
        stmt = stmt.where(Meeting.community_id == community_id)
    return stmt.order_by(Meeting.scheduled_at.desc(), Meeting.id)


async def public_meeting(session: AsyncSession, meeting_id: uuid.UUID) -> dict[str, Any]:
    """One meeting with its agenda; tallies appear as items are decided, individual votes never."""
    meeting = await get_meeting(session, meeting_id)
    motions = (
        await session.scalars(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position))
    ).all()
    return {
        **{
            k: getattr(meeting, k)
            for k in (
                "id",
                "community_id",
                "topic",
                "scheduled_at",
                "place",
                "host",
                "participants",
                "form",
                "state",
                "total_representatives",
                "attendance",
                "quorate",
            )
        },
        "motions": motions,
    }
