"""The caller's side of notifications: the inbox, read marks, channel choices, WeChat grants (transactional)."""

import uuid

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.common.upsert import insert_for
from app.core.config import Settings
from app.core.errors import BadRequest, Unprocessable
from app.notifications.models import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    WechatSubscription,
)
from app.notifications.rules import DEFAULT_CHANNELS, KIND_LABELS


def _user(principal: Principal) -> uuid.UUID:
    if principal.kind != "user" or principal.user_id is None:
        raise BadRequest("API 令牌没有收件箱，通知只发给个人账户。", code="not_a_person")
    return principal.user_id


def inbox_statement(principal: Principal, unread: bool) -> Select:
    """The caller's delivered inbox messages, newest first."""
    stmt = select(Notification).where(
        Notification.user_id == _user(principal),
        Notification.channel == Channel.inbox,
        Notification.status == DeliveryStatus.sent,
    )
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id)


async def mark_read(session: AsyncSession, principal: Principal, notification_id: uuid.UUID) -> Notification:
    """Mark one of the caller's messages read (again: no change); someone else's is 404."""
    row = await get_or_404(
        session,
        Notification,
        notification_id,
        code="notification_not_found",
        detail="没有这条通知。",
        accept=lambda n: n.user_id == _user(principal) and n.channel == Channel.inbox,
    )
    if row.read_at is None:
        row.read_at = utcnow()
        await session.flush()
    return row


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    """Mark every unread inbox message of the caller read."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.user_id == _user(principal),
            Notification.channel == Channel.inbox,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


async def preferences(session: AsyncSession, principal: Principal) -> list[dict]:
    """Every kind with the caller's channels."""
    chosen = {
        p.kind: p.channels
        for p in await session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == _user(principal))
        )
    }
    return [
        {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "channels": chosen.get(kind, list(DEFAULT_CHANNELS)),
            "default": kind not in chosen,
        }
        for kind in NotificationKind
    ]


async def set_preference(
    session: AsyncSession, principal: Principal, kind: NotificationKind, channels: list[Channel]
) -> dict:
    """Choose the channels of one kind ([] stops it)."""
    if len(set(channels)) != len(channels):
        raise Unprocessable("同一渠道只能选一次。", code="channel_listed_twice")
    values = {
        "user_id": _user(principal),
        "kind": kind,
        "channels": [c.value for c in channels],
        "updated_at": utcnow(),
    }
    stmt = insert_for(session, NotificationPreference.__table__).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["user_id", "kind"], set_=values))
    return {"kind": kind, "label": KIND_LABELS[kind], "channels": channels, "default": False}


async def grant_subscriptions(
    session: AsyncSession, settings: Settings, principal: Principal, accepted: list[str]
) -> list[dict]:
    """Count the one-time grants the mini-program reported; only templates the service uses are taken."""
    known = set(settings.wechat_templates.values())
    unknown = sorted(set(accepted) - known)
    if unknown:
        raise Unprocessable(
            "这些订阅消息模板不是本服务使用的模板。", code="unknown_template", extra={"template_ids": unknown}
        )
    user_id, now = _user(principal), utcnow()
    for template in accepted:
        stmt = insert_for(session, WechatSubscription.__table__).values(
            user_id=user_id, template_id=template, remaining=1, granted_total=1, updated_at=now
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "template_id"],
                set_={
                    "remaining": WechatSubscription.remaining + 1,
                    "granted_total": WechatSubscription.granted_total + 1,
                    "updated_at": now,
                },
            )
        )
    return await subscriptions(session, principal)


async def subscriptions(session: AsyncSession, principal: Principal) -> list[dict]:
    """The caller's grants left, per template."""
    rows = await session.scalars(
        select(WechatSubscription)
        .where(WechatSubscription.user_id == _user(principal))
        .order_by(WechatSubscription.template_id)
    )
    return [{"template_id": r.template_id, "remaining": r.remaining} for r in rows]
