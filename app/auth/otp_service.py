"""Resident login by one-time code: issue a code, check it, find or create the resident."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import OtpCode, Role, User
from app.auth.otp import OtpSender, new_code
from app.auth.secrets import constant_time_equal, keyed_digest, mask_phone
from app.auth.service import start_session
from app.common.models import utcnow
from app.core.config import Settings
from app.core.errors import Forbidden, Unauthorized
from app.notifications import contacts_service

log = logging.getLogger("weishi.otp")
WRONG_CODE = "The code is wrong or has expired; request a new one if needed."


def phone_digest(settings: Settings, phone: str) -> str:
    """How a (normalised) phone number is stored and matched."""
    return keyed_digest(settings.secret_key, "phone", phone)


def _code_hash(settings: Settings, digest: str, code: str) -> str:
    # Bound to the phone, so a code is worthless for any other number.
    return keyed_digest(settings.secret_key, "otp", f"{digest}:{code}")


async def request_code(session: AsyncSession, settings: Settings, phone: str) -> str:
    """Store a fresh code for phone and return it for sending. Codes sent earlier stay valid for their
    lifetime: anyone can ask for a code to any number, and replacing the last one would let a stranger
    void the code its owner is about to type (how many live codes a phone can hold is bounded by its
    request limits and the code lifetime)."""
    digest = phone_digest(settings, phone)
    code = new_code()
    row = OtpCode(
        phone_digest=digest,
        code_hash=_code_hash(settings, digest, code),
        expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds),
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        audit.Actor("public", None, mask_phone(phone)),
        "auth.otp_request",
        "otp_code",
        row.id,
        after={"phone": mask_phone(phone)},
    )
    return code


async def _claim_attempt(session: AsyncSession, settings: Settings, digest: str) -> list[Any]:
    # Counting the attempt and checking the budget in one UPDATE: concurrent guesses cannot
    # all slip in under the limit.
    now = utcnow()
    return list(
        (
            await session.execute(
                update(OtpCode)
                .where(
                    OtpCode.phone_digest == digest,
                    OtpCode.consumed_at.is_(None),
                    OtpCode.expires_at > now,
                    OtpCode.attempts < settings.otp_max_attempts,
                )
                .values(attempts=OtpCode.attempts + 1)
                .returning(OtpCode.id, OtpCode.code_hash, OtpCode.attempts)
            )
        ).all()
    )


async def _why_no_attempt(session: AsyncSession, settings: Settings, digest: str) -> Unauthorized:
    exhausted = await session.scalar(
        select(OtpCode.id).where(
            OtpCode.phone_digest == digest,
            OtpCode.consumed_at.is_(None),
            OtpCode.expires_at > utcnow(),
            OtpCode.attempts >= settings.otp_max_attempts,
        )
    )
    if exhausted:
        return Unauthorized("Too many wrong attempts; request a new code.", code="otp_attempts_exhausted")
    return Unauthorized(WRONG_CODE, code="otp_invalid")


async def verify_code(session: AsyncSession, settings: Settings, phone: str, code: str) -> dict[str, Any]:
    """Log a resident in with a code: wrong attempts are counted (and kept) even though refused."""
    digest = phone_digest(settings, phone)
    claimed = await _claim_attempt(session, settings, digest)
    if not claimed:
        raise await _why_no_attempt(session, settings, digest)
    candidate = _code_hash(settings, digest, code)
    match = next((row for row in claimed if constant_time_equal(row.code_hash, candidate)), None)
    masked = mask_phone(phone)
    if match is None:
        attempts = max(row.attempts for row in claimed)
        await audit.record(
            session,
            audit.Actor("public", None, masked),
            "auth.otp_failed",
            "otp_code",
            claimed[0].id,
            after={"attempts": attempts},
        )
        raise Unauthorized(
            WRONG_CODE,
            code="otp_invalid",
            commit=True,
            extra={"attempts_left": max(0, settings.otp_max_attempts - attempts)},
        )
    spent = await session.execute(
        update(OtpCode).where(OtpCode.id == match.id, OtpCode.consumed_at.is_(None)).values(consumed_at=utcnow())
    )
    if spent.rowcount != 1:  # a concurrent request used it first
        raise Unauthorized(WRONG_CODE, code="otp_invalid")
    # The login spends the phone's other live codes too: they were for this login and must not outlive it.
    await session.execute(
        update(OtpCode)
        .where(OtpCode.phone_digest == digest, OtpCode.consumed_at.is_(None))
        .values(consumed_at=utcnow())
    )
    user = await session.scalar(select(User).where(User.phone_digest == digest))
    created = user is None
    if user is None:
        user = User(role=Role.resident, display_name=f"居民{phone[-4:]}", phone_digest=digest, phone_masked=masked)
        session.add(user)
        await session.flush()
    elif user.role != Role.resident:
        raise Forbidden("Staff accounts log in with a username and password.", code="otp_not_for_staff")
    elif not user.is_active:
        raise Unauthorized("The account is disabled.", code="account_disabled")
    await contacts_service.remember_phone(session, settings, user.id, phone)
    tokens = await start_session(session, settings, user)
    await audit.record(
        session,
        audit.Actor("user", str(user.id), user.display_name),
        "auth.otp_login",
        "user",
        user.id,
        after={"role": user.role.value, "created": created},
    )
    return tokens


async def deliver(sender: OtpSender, phone: str, code: str) -> None:
    """Send a stored code; a gateway failure is logged (the resident can ask again)."""
    try:
        await sender.send(phone, code)
    except Exception:
        log.exception("sending a one-time code to %s failed", mask_phone(phone))


async def purge_spent_codes(session: AsyncSession, keep_days: int = 0) -> int:
    """Delete codes that can log no one in any more, expired or used at least keep_days ago (the caller
    commits); returns how many. Numbers that never come back would keep their codes for ever."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = await session.execute(
        delete(OtpCode).where((OtpCode.expires_at <= cutoff) | (OtpCode.consumed_at <= cutoff))
    )
    return result.rowcount or 0
