"""Arrange notification recipients directly: a resident with a WeChat identity, grants, an event addressed to them."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role, User
from app.notifications import contacts_service, outbox
from app.notifications.models import Notification, NotificationKind, WechatSubscription
from app.wechat.models import WechatIdentity
from tests.factories import add_user
from tests.notifications.conftest import APP_ID


async def wechat_resident(
    session: AsyncSession,
    region,
    *,
    grants: int = 1,
    template: str = "TPL-PROPOSAL",
    phone: str | None = None,
    settings=None,
) -> User:
    """A resident bound to an openid of our mini-program, with `grants` one-time grants for `template`."""
    user = await add_user(session, Role.resident, region, username=f"wx-{uuid.uuid4().hex[:8]}")
    session.add(WechatIdentity(app_id=APP_ID, openid=f"o-{uuid.uuid4().hex[:20]}", user_id=user.id))
    if grants:
        session.add(WechatSubscription(user_id=user.id, template_id=template, remaining=grants, granted_total=grants))
    if phone:
        await contacts_service.remember_phone(session, settings, user.id, phone)
    await session.commit()
    return user


async def tell(session: AsyncSession, users: list[User], title: str = "社区花园改造") -> None:
    """A proposal_moved event to these people (as a screening would write it), committed."""
    outbox.emit(
        session,
        NotificationKind.proposal_moved,
        "proposal",
        uuid.uuid4(),
        {"user_ids": [str(u.id) for u in users], "title": title, "state": "screened", "reason": None},
    )
    await session.commit()


async def deliveries(session: AsyncSession, channel: str) -> list[Notification]:
    """Every delivery on a channel, freshly read."""
    return list(
        await session.scalars(
            select(Notification)
            .where(Notification.channel == channel)
            .order_by(Notification.created_at, Notification.id)
            .execution_options(populate_existing=True)
        )
    )


async def openid_of(session: AsyncSession, user: User) -> str:
    """The user's openid."""
    return await session.scalar(select(WechatIdentity.openid).where(WechatIdentity.user_id == user.id))
