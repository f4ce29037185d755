"""Claim a key on its own short transaction, store the response in the request's, release on failure."""

import base64
import hashlib
import hmac
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.config import Settings
from app.core.errors import Conflict, Unprocessable
from app.idempotency import rules
from app.idempotency.models import IdempotencyRecord, IdempotencyStatus
from app.idempotency.rules import Decision

log = logging.getLogger("weishi.idempotency")
_CLAIM_ATTEMPTS = 3
_NO_SYNC = {"synchronize_session": False}
_STATE = (
    IdempotencyRecord.id,
    IdempotencyRecord.status,
    IdempotencyRecord.request_fingerprint,
    IdempotencyRecord.locked_until,
    IdempotencyRecord.expires_at,
    IdempotencyRecord.response_status,
    IdempotencyRecord.response_body,
)


_SEALED = "sealed:v1:"


@lru_cache(maxsize=8)
def _derived(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()


def fingerprint_key(settings: Settings) -> bytes:
    """The key secret requests' fingerprints are made with (derived from the service's secret key)."""
    return _derived(settings.secret_key, b"weishi/idempotency-fingerprint/v1")


def seal(settings: Settings, body: str) -> str:
    """A stored answer encrypted (AES-GCM) under a key derived from the service's secret key: an answer that
    says how someone voted must not be readable from the database."""
    nonce = os.urandom(12)
    sealed = AESGCM(_derived(settings.secret_key, b"weishi/idempotency-seal/v1")).encrypt(nonce, body.encode(), None)
    return _SEALED + base64.b64encode(nonce + sealed).decode()


def unseal(settings: Settings, stored: str) -> str:
    """The answer as sent, from what seal stored (an answer stored unsealed is returned as it is)."""
    if not stored.startswith(_SEALED):
        return stored
    raw = base64.b64decode(stored[len(_SEALED) :])
    return (
        AESGCM(_derived(settings.secret_key, b"weishi/idempotency-seal/v1")).decrypt(raw[:12], raw[12:], None).decode()
    )


@dataclass(frozen=True)
class Claim:
    """A key this request holds: the record and the lease it set (its proof of ownership)."""

    record_id: uuid.UUID
    locked_until: datetime


class IdempotentReplay(Exception):
    """The key already holds a response: rendered as exactly that response instead of running the endpoint."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"replay of a stored {status} response")
        self.status = status
        self.body = body


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    principal_key: str,
    key: str,
    method: str,
    target: str,
    request_fingerprint: str,
) -> Claim:
    """Claim key for this request (committed at once), or raise replay / 422 reused / 409 in flight."""
    for _ in range(_CLAIM_ATTEMPTS):
        async with sessionmaker() as session:
            taken = await _attempt(session, settings, principal_key, key, method, target, request_fingerprint)
        if taken is not None:
            return taken
    # Lost every race for the key: others are claiming it right now.
    raise Conflict(
        "Another request with this Idempotency-Key is being processed.",
        code="idempotency_in_flight",
        headers={"Retry-After": "1"},
        extra={"retry_after": 1},
    )


def record_values(
    settings: Settings,
    method: str,
    target: str,
    request_fingerprint: str,
    now: datetime,
    status: IdempotencyStatus = IdempotencyStatus.in_flight,
    response_status: int | None = None,
    response_body: str | None = None,
) -> dict[str, Any]:
    """A key's record as claimed at `now` (in flight, leased), or as completed with its response."""
    return {
        "method": method,
        "path": target,
        "request_fingerprint": request_fingerprint,
        "status": status,
        "response_status": response_status,
        "response_body": response_body,
        "locked_until": now + timedelta(seconds=settings.idempotency_lease_seconds),
        "created_at": now,
        "expires_at": now + timedelta(seconds=settings.idempotency_ttl_seconds),
    }


async def _attempt(
    session: AsyncSession,
    settings: Settings,
    principal_key: str,
    key: str,
    method: str,
    target: str,
    request_fingerprint: str,
) -> Claim | None:
    now = utcnow()
    fresh = record_values(settings, method, target, request_fingerprint, now)
    lease = fresh["locked_until"]
    # The insert comes first so that on SQLite this transaction holds the write lock for the whole check.
    new_id = await session.scalar(
        insert_for(session, IdempotencyRecord)
        .values(id=uuid.uuid4(), principal_key=principal_key, key=key, **fresh)
        .on_conflict_do_nothing(index_elements=["principal_key", "key"])
        .returning(IdempotencyRecord.id)
    )
    if new_id is not None:
        await session.commit()
        return Claim(new_id, lease)
    # Plain columns, not an ORM object: they stay readable after the rollback below.
    record = (
        await session.execute(
            select(*_STATE).where(IdempotencyRecord.principal_key == principal_key, IdempotencyRecord.key == key)
        )
    ).first()
    if record is None:  # released between our insert and select: try again
        await session.rollback()
        return None
    decision = rules.decide(record, request_fingerprint, now)
    if decision == Decision.take_over:
        # Compare-and-set on the lease we saw: of several requests taking over, exactly one matches.
        result = await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.status == record.status,
                IdempotencyRecord.locked_until == record.locked_until,
            )
            .values(**fresh)
            .execution_options(**_NO_SYNC)
        )
        if result.rowcount != 1:
            await session.rollback()
            return None
        await session.commit()
        return Claim(record.id, lease)
    await session.rollback()
    if decision == Decision.replay:
        raise IdempotentReplay(record.response_status or 200, unseal(settings, record.response_body or ""))
    if decision == Decision.reused:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request.", code="idempotency_key_reused"
        )
    wait = rules.retry_after(record.locked_until, now)
    raise Conflict(
        "A request with this Idempotency-Key is still being processed; retry later.",
        code="idempotency_in_flight",
        headers={"Retry-After": str(wait)},
        extra={"retry_after": wait},
    )


async def complete(session: AsyncSession, held: Claim, status: int, body: str) -> bool:
    """Store the response in the request's own transaction; False when the claim was lost to a takeover."""
    result = await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == held.record_id,
            IdempotencyRecord.status == IdempotencyStatus.in_flight,
            IdempotencyRecord.locked_until == held.locked_until,
        )
        .values(status=IdempotencyStatus.completed, response_status=status, response_body=body)
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1


async def release(sessionmaker: async_sessionmaker[AsyncSession], held: Claim) -> None:
    """Give the key back after a failed request so a corrected retry can run (only if still ours)."""
    try:
        async with sessionmaker() as session:
            await session.execute(
                delete(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == held.record_id,
                    IdempotencyRecord.status == IdempotencyStatus.in_flight,
                    IdempotencyRecord.locked_until == held.locked_until,
                )
                .execution_options(**_NO_SYNC)
            )
            await session.commit()
    except Exception:
        # Never mask the request's own error; the lease frees the key when it ends.
        log.warning("could not release idempotency claim %s", held.record_id, exc_info=True)


async def forget_targets(session: AsyncSession, targets: Sequence[str]) -> int:
    """Delete every key recorded for these request targets (with or without a query), in one statement; returns
    how many (a round's close forgets both cast routes')."""
    path = col(IdempotencyRecord.path)
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(or_(*(or_(path == t, path.startswith(f"{t}?", autoescape=True)) for t in targets)))
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount or 0


async def purge_expired(session: AsyncSession) -> int:
    """Delete records past their expiry (periodic cleanup, caller commits); returns how many."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow()).execution_options(**_NO_SYNC)
    )
    return result.rowcount or 0
