"""What the notification worker asks of voting (registered in app/wiring.py): who is on a community's roll, and
whether a round's reminder is still due."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.common.models import utcnow
from app.notifications.models import NotificationEvent, NotificationKind
from app.notifications.outbox import CLOSING_REMINDER, local_text
from app.voting.models import RoundStatus, VoteMark, VoterRollEntry, VotingRound


async def _roll_users(
    session: AsyncSession, community_id: uuid.UUID, skip_voted_in: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Active resident accounts whose login phone is on the community's roll now."""
    entries = select(VoterRollEntry.phone_digest).where(
        VoterRollEntry.community_id == community_id, VoterRollEntry.removed_at.is_(None)
    )
    if skip_voted_in is not None:
        voted = select(VoteMark.roll_entry_id).where(VoteMark.round_id == skip_voted_in)
        entries = entries.where(VoterRollEntry.id.not_in(voted))
    return list(
        await session.scalars(
            select(User.id).where(User.phone_digest.in_(entries), User.is_active.is_(True)).order_by(User.id)
        )
    )


async def community_roll(session: AsyncSession, event: NotificationEvent) -> list[uuid.UUID]:
    """The event's community roll (payload `community_id`); a closing reminder skips those who have voted."""
    skip = event.subject_id if event.kind == NotificationKind.round_closing else None
    return await _roll_users(session, uuid.UUID(event.payload["community_id"]), skip)


async def round_check(session: AsyncSession, event: NotificationEvent) -> tuple[str | None, datetime | None]:
    """(why to drop, when to put off) for a round's event, read from the round as it stands now."""
    rnd = await session.get(VotingRound, event.subject_id)
    if rnd is None or rnd.status != RoundStatus.scheduled:
        return f"投票轮次已{'取消' if rnd and rnd.status == RoundStatus.cancelled else '结束'}", None
    due = rnd.opens_at if event.kind == NotificationKind.round_opened else rnd.closes_at - CLOSING_REMINDER
    if due > utcnow():
        return None, due
    if rnd.closes_at <= utcnow():
        return "投票已截止", None
    event.payload = {**event.payload, "title": rnd.title, "closes_local": local_text(rnd.closes_at)}
    return None, None
