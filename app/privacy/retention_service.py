"""Retention of personal data (`weishi purge-expired`): what is deleted or emptied when its period ends."""

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import UserNotice
from app.auth.otp_service import purge_spent_codes
from app.core import clock
from app.core.config import Settings
from app.notices.models import Objection
from app.privacy.rules import cutoff
from app.ratelimit.service import purge_ended


async def erase_objection_contacts(session: AsyncSession, days: int) -> int:
    """Empty the contact of objections decided more than `days` ago (open ones keep it: staff may call back)."""
    result = await session.execute(
        update(Objection)
        .where(
            Objection.contact.is_not(None),
            Objection.handled_at.is_not(None),
            Objection.handled_at <= cutoff(clock.now(), days),
        )
        .values(contact=None)
    )
    return result.rowcount or 0


async def purge_notifications(session: AsyncSession, days: int) -> int:
    """Delete account notices older than `days`."""
    result = await session.execute(delete(UserNotice).where(UserNotice.created_at <= cutoff(clock.now(), days)))
    return result.rowcount or 0


async def purge_personal_data(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """Apply every retention period in one transaction (the caller commits); one audit event says how much
    went, so the trail shows the purge ran without holding what it removed."""
    counts = {
        "otp_codes": await purge_spent_codes(session, settings.retention_otp_code_days),
        "rate_limit_counters": await purge_ended(
            session, settings, clock.now() - timedelta(days=settings.retention_rate_limit_days)
        ),
        "objection_contacts": await erase_objection_contacts(session, settings.retention_objection_contact_days),
        "notifications": await purge_notifications(session, settings.retention_notification_days),
    }
    if any(counts.values()):
        await audit.record(session, audit.SYSTEM, "privacy.purge", "retention", None, after=counts)
    return counts
