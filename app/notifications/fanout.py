"""Turning a due outbox event into deliveries: who hears of it, on which channels. One transaction per event:
the event is claimed by a guarded UPDATE and its deliveries inserted with it, so two workers never both expand it,
and the (event, person, channel) key forbids a second copy. The inbox copy is delivered right here."""

import uuid

from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role, User
from app.common.models import utcnow
from app.core.config import Settings
from app.notifications import contacts_service, hooks, rules
from app.notifications.models import (
    Channel,
    DeliveryStatus,
    EventStatus,
    Notification,
    NotificationContact,
    NotificationEvent,
    NotificationKind,
)
from app.regions.models import Region
from app.wechat.models import WechatIdentity

# A round's reminders are checked against the round when they fall due (app/voting/reminders_service.py).
ROUND_KINDS = (NotificationKind.round_opened, NotificationKind.round_closing)
# Events a community's roll hears of: voting says who is on it.
ROLL_KINDS = (*ROUND_KINDS, NotificationKind.notice_published)


async def recipients(session: AsyncSession, event: NotificationEvent) -> list[uuid.UUID]:
    """Who hears of the event."""
    if event.kind in ROLL_KINDS:
        return await hooks.audience(event.kind)(session, event)
    if "finance_for" in event.payload:
        return list(
            await session.scalars(
                select(User.id)
                .join(Region, Region.id == User.region_id)
                .where(
                    User.role == Role.finance,
                    User.is_active.is_(True),
                    literal(event.payload["finance_for"]).startswith(Region.path),
                )
                .order_by(User.id)
            )
        )
    if "staff_of" in event.payload:
        return list(
            await session.scalars(
                select(User.id)
                .where(
                    User.role == Role.community_staff,
                    User.region_id == uuid.UUID(event.payload["staff_of"]),
                    User.is_active.is_(True),
                )
                .order_by(User.id)
            )
        )
    named = [uuid.UUID(u) for u in event.payload.get("user_ids", [])]
    if not named:
        return []
    # A deactivated or deleted account hears nothing: a proposal outlives its erased proposer.
    return list(
        await session.scalars(select(User.id).where(User.id.in_(named), User.is_active.is_(True)).order_by(User.id))
    )


async def _reachable(
    session: AsyncSession, settings: Settings, user_ids: list[uuid.UUID]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(people with a WeChat identity of this app, people with a phone for SMS)."""
    wechat = set(
        await session.scalars(
            select(WechatIdentity.user_id).where(
                WechatIdentity.app_id == settings.wechat_app_id, WechatIdentity.user_id.in_(user_ids)
            )
        )
    )
    phones = set(
        await session.scalars(select(NotificationContact.user_id).where(NotificationContact.user_id.in_(user_ids)))
    )
    return wechat, phones


def _row(event, user_id, channel, title, body, now, status=DeliveryStatus.pending, reason=None) -> dict:
    return {
        "id": uuid.uuid4(),
        "event_id": event.id,
        "user_id": user_id,
        "channel": channel,
        "kind": event.kind,
        "title": title,
        "body": body,
        "link": event.payload.get("link"),
        "status": status,
        "skip_reason": reason,
        "attempts": 0,
        "grant_held": False,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": now if status == DeliveryStatus.sent else None,
    }


async def expand(session: AsyncSession, settings: Settings, event: NotificationEvent) -> int:
    """Claim and expand one due event (the caller commits); returns how many deliveries it made, -1 if another
    worker had it or it was put off."""
    claimed = await session.execute(
        update(NotificationEvent)
        .where(
            NotificationEvent.id == event.id,
            NotificationEvent.status == EventStatus.pending,
            NotificationEvent.available_at <= utcnow(),
        )
        .values(status=EventStatus.expanded, expanded_at=utcnow())
    )
    if claimed.rowcount != 1:
        return -1
    if event.kind in ROUND_KINDS:
        drop, later = await hooks.check(event.kind)(session, event)
        if drop or later:
            values = (
                {"status": EventStatus.dropped, "drop_reason": drop}
                if drop
                else {"status": EventStatus.pending, "available_at": later, "expanded_at": None}
            )
            await session.execute(update(NotificationEvent).where(NotificationEvent.id == event.id).values(**values))
            return -1 if later else 0
    users = await recipients(session, event)
    if not users:
        return 0
    title, body = rules.message(event.kind, event.payload)
    title, body = rules.clip(title, 100), rules.clip(body, 500)
    chosen = await contacts_service.channels_of(session, users, event.kind)
    wechat, phones = await _reachable(session, settings, users)
    template = settings.wechat_templates.get(event.kind.value)
    now, rows = utcnow(), []
    for uid in users:
        mine = chosen[uid]
        for channel in Channel:
            if channel not in mine:
                reason = "opted_out" if not mine else "not_chosen"
                if channel == Channel.inbox or not mine:
                    rows.append(_row(event, uid, channel, title, body, now, DeliveryStatus.skipped, reason))
                continue
            if channel == Channel.inbox:
                rows.append(_row(event, uid, channel, title, body, now, DeliveryStatus.sent))
            elif channel == Channel.wechat and (uid not in wechat or not template):
                rows.append(
                    _row(
                        event,
                        uid,
                        channel,
                        title,
                        body,
                        now,
                        DeliveryStatus.skipped,
                        "no_wechat" if uid not in wechat else "no_template",
                    )
                )
            elif channel == Channel.sms and uid not in phones:
                rows.append(_row(event, uid, channel, title, body, now, DeliveryStatus.skipped, "no_phone"))
            else:
                rows.append(_row(event, uid, channel, title, body, now))
    await session.execute(insert(Notification), rows)
    return len(rows)


async def expand_due(session: AsyncSession, settings: Settings, limit: int = 20) -> int:
    """Expand up to `limit` due events, each in its own transaction; returns how many were expanded."""
    due = list(
        await session.scalars(
            select(NotificationEvent)
            .where(NotificationEvent.status == EventStatus.pending, NotificationEvent.available_at <= utcnow())
            .order_by(NotificationEvent.available_at)
            .limit(limit)
        )
    )
    await session.commit()
    done = 0
    for event in due:
        try:
            if await expand(session, settings, event) >= 0:
                done += 1
            await session.commit()
        except Exception:
            await session.rollback()
            raise
    return done
