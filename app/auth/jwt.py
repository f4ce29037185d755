"""Access tokens: issued with python-jose (the only module that touches it), verified here (HS256 only)."""

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from jose import jwt

from app.core import clock
from app.core.config import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub", "sid", "role")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")  # base64url, unpadded, never empty
LIFETIME_LEEWAY_SECONDS = 60  # rounding of iat/exp to whole seconds, and a ttl lowered while tokens are out


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or for someone else."""


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, role: str, now: datetime | None = None
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    now = now or clock.now()
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


def _segment(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:  # a length no base64 has (one character past a multiple of four)
        raise InvalidToken("malformed token") from exc


def _object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment(segment))
    except ValueError as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verified claims, or InvalidToken. One algorithm only; exp/iat/aud/iss/sub/sid/role are mandatory, and
    exp may lie at most the access-token lifetime (plus a minute) after iat.

    Verified here rather than by python-jose: the same checks (and stricter: a token is valid only before
    its exp, and a `crit` header is refused) at a fifth of the cost, on every authenticated request."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise InvalidToken("malformed token")
    # Refuse before verification: "none", RS*/ES* (public-key confusion) and anything unexpected.
    header = _object(parts[0])
    if header.get("alg") != ALGORITHM or "crit" in header:
        raise InvalidToken("unexpected signing algorithm")
    expected = hmac.new(settings.secret_key.encode(), f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256)
    if not hmac.compare_digest(expected.digest(), _segment(parts[2])):
        raise InvalidToken("signature verification failed")
    claims = _object(parts[1])
    for claim in REQUIRED_CLAIMS:
        if claim not in claims:
            raise InvalidToken(f"missing claim {claim}")
    now = clock.timestamp()
    if not (_is_int(claims["exp"]) and _is_int(claims["iat"])) or now >= claims["exp"]:
        raise InvalidToken("expired or malformed exp/iat")
    # We never issue a longer-lived token: one that claims more was not made by issue_access_token.
    if claims["exp"] - claims["iat"] > settings.access_token_ttl_seconds + LIFETIME_LEEWAY_SECONDS:
        raise InvalidToken("lifetime longer than the service issues")
    if "nbf" in claims and not (_is_int(claims["nbf"]) and claims["nbf"] <= now):
        raise InvalidToken("not valid yet")
    audience = claims["aud"]
    if audience != settings.jwt_audience and not (isinstance(audience, list) and settings.jwt_audience in audience):
        raise InvalidToken("invalid audience")
    if claims["iss"] != settings.jwt_issuer or not isinstance(claims["role"], str):
        raise InvalidToken("invalid issuer or role")
    try:
        uuid.UUID(claims["sub"])
        uuid.UUID(claims["sid"])
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken("malformed subject") from exc
    return claims
