"""Where a person can be reached: the phone they signed in with (sealed), their WeChat openid, their choices."""

import base64
import hashlib
import hmac
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.config import Settings
from app.notifications.models import Channel, NotificationContact, NotificationKind, NotificationPreference
from app.notifications.rules import DEFAULT_CHANNELS


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.secret_key.encode(), b"weishi/notification-phone/v1", hashlib.sha256).digest()


def seal(settings: Settings, text: str) -> str:
    """AES-GCM under a key derived from the service's secret: the database alone reveals no number or token."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(_key(settings)).encrypt(nonce, text.encode(), None)).decode()


def unseal(settings: Settings, sealed: str) -> str:
    """What seal() sealed."""
    raw = base64.b64decode(sealed)
    return AESGCM(_key(settings)).decrypt(raw[:12], raw[12:], None).decode()


async def remember_phone(session: AsyncSession, settings: Settings, user_id: uuid.UUID, phone: str) -> None:
    """Keep the phone a resident proved they hold (a code, WeChat's phone button), for SMS notifications."""
    values = {"user_id": user_id, "phone_sealed": seal(settings, phone), "updated_at": utcnow()}
    stmt = insert_for(session, NotificationContact.__table__).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))


async def phone_of(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> str | None:
    """The resident's phone for SMS, or None."""
    sealed = await session.scalar(
        select(NotificationContact.phone_sealed).where(NotificationContact.user_id == user_id)
    )
    return unseal(settings, sealed) if sealed else None


async def channels_of(
    session: AsyncSession, user_ids: list[uuid.UUID], kind: NotificationKind
) -> dict[uuid.UUID, set[Channel]]:
    """Each person's channels for this kind: their choice, or the defaults."""
    chosen = {
        row.user_id: {Channel(c) for c in row.channels}
        for row in await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.kind == kind, NotificationPreference.user_id.in_(user_ids)
            )
        )
    }
    return {uid: chosen.get(uid, set(DEFAULT_CHANNELS)) for uid in user_ids}
