"""Delivering one WeChat or SMS notification a worker holds: the outcome is an Outcome, never an exception."""

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.common.models import utcnow
from app.core.config import Settings
from app.notifications import contacts_service, rules
from app.notifications.models import Channel, Notification, WechatSubscription
from app.sms import service as sms
from app.sms.senders import SmsError, SmsSender
from app.wechat import tokens
from app.wechat.client import SUBSCRIPTION_REFUSED, TOKEN_INVALID, WechatClient, WechatError
from app.wechat.models import WechatIdentity

log = logging.getLogger("weishi.notify")


@dataclass(frozen=True)
class Outcome:
    """sent (with the provider's id), skipped (why), retry (error) or failed (error)."""

    result: str
    detail: str | None = None


@dataclass
class Providers:
    """What a worker sends through."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    sms: SmsSender
    wechat: WechatClient | None


async def _take_grant(session: AsyncSession, n: Notification, template: str) -> bool:
    """The grant moves from the resident's count to the delivery in one transaction."""
    if n.grant_held:
        return True
    taken = await session.execute(
        update(WechatSubscription)
        .where(
            WechatSubscription.user_id == n.user_id,
            WechatSubscription.template_id == template,
            WechatSubscription.remaining > 0,
        )
        .values(remaining=WechatSubscription.remaining - 1)
    )
    if taken.rowcount == 1:
        await session.execute(update(Notification).where(Notification.id == n.id).values(grant_held=True))
    await session.commit()
    return taken.rowcount == 1


async def _give_back(session: AsyncSession, n: Notification, template: str) -> None:
    # WeChat spends a grant only on a message it accepted.
    await session.execute(
        update(WechatSubscription)
        .where(WechatSubscription.user_id == n.user_id, WechatSubscription.template_id == template)
        .values(remaining=WechatSubscription.remaining + 1)
    )
    await session.execute(update(Notification).where(Notification.id == n.id).values(grant_held=False))
    await session.commit()


async def _sending(session: AsyncSession, n: Notification) -> None:
    """Record, committed, that the message is about to be handed to the provider: if this worker dies before
    the answer is written, the delivery is known to be perhaps accepted and is not sent again (worker.py)."""
    await session.execute(update(Notification).where(col(Notification.id) == n.id).values(send_started_at=utcnow()))
    await session.commit()


async def _wechat(p: Providers, session: AsyncSession, n: Notification) -> Outcome:
    template = p.settings.wechat_templates.get(n.kind.value)
    if p.wechat is None or not template:
        return Outcome("skipped", "no_template")
    openid = await session.scalar(
        select(WechatIdentity.openid).where(
            WechatIdentity.user_id == n.user_id, WechatIdentity.app_id == p.settings.wechat_app_id
        )
    )
    if openid is None:
        return Outcome("skipped", "no_wechat")
    if not await _take_grant(session, n, template):
        return Outcome("skipped", "no_subscription")
    data = {"thing1": rules.clip(n.title, 20), "thing2": rules.clip(n.body, 20)}
    await _sending(session, n)
    try:
        for force in (False, True):
            token = await tokens.access_token(p.sessionmaker, p.settings, p.wechat, force=force)
            try:
                return Outcome("sent", await p.wechat.send_subscribe(token, openid, template, data, n.link))
            except WechatError as exc:
                if exc.errcode not in TOKEN_INVALID or force:
                    raise
    except WechatError as exc:
        if exc.errcode == SUBSCRIPTION_REFUSED:
            return Outcome("skipped", "subscription_refused")
        await _give_back(session, n, template)
        return Outcome("retry" if exc.retryable else "failed", str(exc)[:300])
    return Outcome("failed", "unreachable")


async def _sms(p: Providers, session: AsyncSession, n: Notification) -> Outcome:
    phone = await contacts_service.phone_of(session, p.settings, n.user_id)
    if phone is None:
        return Outcome("skipped", "no_phone")
    await _sending(session, n)
    try:
        sent = await sms.send(
            p.sessionmaker,
            p.settings,
            p.sms,
            n.kind.value,
            phone,
            {"title": rules.clip(n.title, 20), "body": rules.clip(n.body, 60)},
        )
    except sms.SmsCapped as exc:
        return Outcome("skipped", f"sms_cap_{exc.which}")
    except SmsError as exc:
        return Outcome("retry" if exc.retryable else "failed", str(exc)[:300])
    return Outcome("sent", sent.message_id)


async def deliver(p: Providers, session: AsyncSession, n: Notification) -> Outcome:
    """Send one notification on its channel."""
    try:
        if n.channel == Channel.wechat:
            return await _wechat(p, session, n)
        if n.channel == Channel.sms:
            return await _sms(p, session, n)
    except Exception as exc:  # a bug or an outage must not kill the worker; the delivery is retried
        log.exception("delivering notification %s failed", n.id)
        return Outcome("retry", f"{type(exc).__name__}")
    return Outcome("skipped", "inbox_is_delivered_at_expansion")
