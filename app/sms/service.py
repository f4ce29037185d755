"""Sending an SMS through the configured provider: daily caps first, retries with backoff on throttling and
outages, and a record of every send (to whom as a keyed digest, template, provider's id, status)."""

import asyncio
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.secrets import keyed_digest
from app.core import clock
from app.core.config import Settings
from app.sms.models import SmsMessage, SmsStatus
from app.sms.senders import Sent, SmsError, SmsSender

COUNTED = (SmsStatus.accepted, SmsStatus.delivered, SmsStatus.undelivered)


class SmsCapped(Exception):
    """A daily cap stopped the message; `which` is "purpose" or "phone"."""

    def __init__(self, which: str) -> None:
        super().__init__(f"daily SMS cap per {which} reached")
        self.which = which


def phone_key(settings: Settings, phone: str) -> str:
    """The phone as the SMS record keeps it (the same digest as a login phone)."""
    return keyed_digest(settings.secret_key, "phone", phone)


def _day_start() -> datetime:
    return clock.at_shanghai(clock.today(), 0, 0)


async def _over_cap(session: AsyncSession, settings: Settings, purpose: str, digest: str) -> str | None:
    since = _day_start()
    by_purpose = await session.scalar(
        select(func.count())
        .select_from(SmsMessage)
        .where(SmsMessage.purpose == purpose, SmsMessage.created_at >= since, SmsMessage.status.in_(COUNTED))
    )
    if by_purpose >= settings.sms_daily_cap_per_purpose.get(purpose, settings.sms_daily_cap_default):
        return "purpose"
    by_phone = await session.scalar(
        select(func.count())
        .select_from(SmsMessage)
        .where(SmsMessage.phone_digest == digest, SmsMessage.created_at >= since, SmsMessage.status.in_(COUNTED))
    )
    return "phone" if by_phone >= settings.sms_daily_cap_per_phone else None


async def send(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sender: SmsSender,
    purpose: str,
    phone: str,
    params: dict[str, str],
) -> Sent:
    """Send one SMS for `purpose`; SmsCapped when a cap stops it, SmsError when the provider refused for good
    or kept failing. The record is written in a transaction of its own (a send is a fact whatever the caller's
    transaction does)."""
    digest = phone_key(settings, phone)
    template = settings.sms_templates.get(purpose, purpose)
    async with sessionmaker() as session:
        which = await _over_cap(session, settings, purpose, digest)
        if which:
            session.add(
                SmsMessage(
                    provider=sender.name,
                    purpose=purpose,
                    phone_digest=digest,
                    template_id=template,
                    status=SmsStatus.capped,
                    error_code=f"cap_{which}",
                )
            )
            await session.commit()
            raise SmsCapped(which)
    error: SmsError | None = None
    for attempt in range(settings.sms_retries + 1):
        try:
            sent = await sender.send(phone, template, params)
            error = None
            break
        except SmsError as exc:
            error = exc
            if not exc.retryable or attempt == settings.sms_retries:
                break
            await asyncio.sleep(0.2 * 2**attempt)  # the providers ask callers to back off when throttled
    async with sessionmaker() as session:
        session.add(
            SmsMessage(
                provider=sender.name,
                purpose=purpose,
                phone_digest=digest,
                template_id=template,
                provider_message_id=None if error else sent.message_id,
                status=SmsStatus.failed if error else SmsStatus.accepted,
                error_code=error.code[:100] if error else None,
            )
        )
        await session.commit()
    if error:
        raise error
    return sent


async def record_receipt(
    session: AsyncSession, provider: str, message_id: str, delivered: bool, error_code: str | None
) -> int:
    """A delivery receipt: the record of that message says whether it reached the phone (the caller commits)."""
    result = await session.execute(
        update(SmsMessage)
        .where(SmsMessage.provider == provider, SmsMessage.provider_message_id == message_id)
        .values(
            status=SmsStatus.delivered if delivered else SmsStatus.undelivered,
            error_code=error_code,
            reported_at=clock.now(),
        )
    )
    return result.rowcount or 0
