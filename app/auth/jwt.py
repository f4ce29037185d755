"""The only module that touches python-jose: issue and verify access tokens."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt

from app.config import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub", "sid", "role")


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or for someone else."""


def issue_access_token(settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, role: str,
                       now: datetime | None = None) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    now = now or datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": str(user_id), "sid": str(session_id), "role": role,
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verified claims, or InvalidToken. One algorithm only; exp/aud/iss/sub are mandatory."""
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("malformed token") from exc
    # Refuse before verification: "none", RS*/ES* (public-key confusion) and anything unexpected.
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("unexpected signing algorithm")
    try:
        claims = jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM],
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require_exp": True, "require_iat": True, "require_aud": True,
                     "require_iss": True, "require_sub": True, "verify_exp": True,
                     "verify_aud": True, "verify_iss": True, "verify_signature": True, "leeway": 0},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    for claim in REQUIRED_CLAIMS:
        if claim not in claims:
            raise InvalidToken(f"missing claim {claim}")
    try:
        uuid.UUID(claims["sub"])
        uuid.UUID(claims["sid"])
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken("malformed subject") from exc
    return claims
