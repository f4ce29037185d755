"""What a key's header value may be, what a request's fingerprint is, what a stored claim means (pure)."""

import hashlib
import hmac
import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.idempotency.models import IdempotencyStatus

MAX_KEY_LENGTH = 255
_SF_ESCAPE = re.compile(r'\\(["\\])')


def parse_key(raw: str) -> str | None:
    """The key an Idempotency-Key header carries, or None when it is not 1..255 printable ASCII."""
    value = raw
    # The draft defines the header as a Structured Field string ("..."); bare tokens are accepted too.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = _SF_ESCAPE.sub(r"\1", value[1:-1])
    if not 1 <= len(value) <= MAX_KEY_LENGTH:
        return None
    if any(not 0x20 <= ord(ch) <= 0x7E for ch in value):
        return None
    return value


def request_target(path: str, query: str) -> str:
    """The request target a key is recorded for: the path, and the query if there is one."""
    return path + (f"?{query}" if query else "")


def fingerprint(method: str, target: str, body: bytes, key: bytes | None = None) -> str:
    """SHA-256 of method, request target and raw body: what 'the same request' means. With a key, an HMAC
    instead: a body with few possible values (a ballot's choices) cannot be found again from a plain hash."""
    digest = hashlib.sha256() if key is None else hmac.new(key, digestmod=hashlib.sha256)
    for part in (method.upper().encode(), target.encode(), body):
        # Length-prefixed so no two different triples hash the same text.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class Decision(StrEnum):
    """What to do with a key someone already holds."""

    take_over = "take_over"  # expired record or dead claim: claim it afresh
    reused = "reused"  # same key, different request: 422
    replay = "replay"  # completed: answer with the stored response
    in_flight = "in_flight"  # another request is working on it: 409


def decide(record: Any, request_fingerprint: str, now: datetime) -> Decision:
    """How a request with this fingerprint meets an existing record for its key."""
    if record.expires_at <= now:
        return Decision.take_over
    if record.request_fingerprint != request_fingerprint:
        return Decision.reused
    if record.status == IdempotencyStatus.completed:
        return Decision.replay
    if record.locked_until > now:
        return Decision.in_flight
    return Decision.take_over


def retry_after(locked_until: datetime, now: datetime) -> int:
    """Whole seconds until a claim's lease ends (at least 1)."""
    return max(1, math.ceil((locked_until - now).total_seconds()))
