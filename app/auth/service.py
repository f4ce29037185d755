"""Login, token rotation, one-time codes and API-token checks (transactional)."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.jwt import InvalidToken, decode_access_token, issue_access_token
from app.auth.models import ApiToken, AuthSession, RefreshToken, Role, User
from app.auth.principal import Principal
from app.auth.secrets import keyed_digest, random_token, sha256_hex, verify_password
from app.common.models import utcnow
from app.core.config import Settings
from app.core.errors import Unauthorized
from app.regions.models import Region

API_TOKEN_PREFIX = "wst_"  # noqa: S105 (a prefix, not a secret)
REFRESH_PREFIX = "rt_"
BAD_CREDENTIALS = "Unknown username or wrong password."


def api_token_hmac(settings: Settings, token: str) -> str:
    """How an API token is stored and looked up."""
    return keyed_digest(settings.secret_key, "api-token", token)


# Every authenticated request runs this: built once, only the columns a Principal needs, no ORM objects.
_users, _sessions, _regions = User.__table__, AuthSession.__table__, Region.__table__
_USER_OF_SESSION = (
    select(
        _users.c.id,
        _users.c.role,
        _users.c.is_active,
        _users.c.region_id,
        _users.c.organisation_id,
        _users.c.phone_digest,
        _users.c.display_name,
        _sessions.c.revoked_at,
        _regions.c.path.label("region_path"),
    )
    .select_from(
        _users.join(_sessions, _sessions.c.user_id == _users.c.id).outerjoin(
            _regions, _regions.c.id == _users.c.region_id
        )
    )
    .where(_users.c.id == bindparam("user_id"), _sessions.c.id == bindparam("session_id"))
)


def session_admits(row: Any) -> bool:
    """Whether a row of the caller's user and login session (revoked_at, is_active) lets the caller in: the
    one rule for every access token."""
    return row is not None and row["revoked_at"] is None and row["is_active"]


async def principal_from_bearer(state: Any, session: AsyncSession, token: str) -> Principal:
    """Turn a bearer credential (JWT or API token) into a Principal, or raise 401."""
    settings: Settings = state.settings
    if token.startswith(API_TOKEN_PREFIX):
        return await _principal_from_api_token(state, session, token)
    return await principal_of_access_token(await session.connection(), settings, token)


async def principal_of_access_token(conn: Any, settings: Settings, token: str) -> Principal:
    """The Principal of an access token (a JWT), or 401; `conn` runs Core statements (a session's connection,
    or app.common.compiled's executor in the fast lane)."""
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken as exc:
        raise Unauthorized("The access token is invalid or expired.", code="invalid_token") from exc
    row = (
        await conn.execute(
            _USER_OF_SESSION, {"user_id": uuid.UUID(claims["sub"]), "session_id": uuid.UUID(claims["sid"])}
        )
    ).first()
    if not session_admits(None if row is None else row._mapping):
        raise Unauthorized("The session has ended; log in again.", code="session_revoked")
    return Principal(
        kind="user",
        role=row.role,
        user_id=row.id,
        session_id=uuid.UUID(claims["sid"]),
        region_id=row.region_id,
        region_path=row.region_path,
        organisation_id=row.organisation_id,
        phone_digest=row.phone_digest,
        label=row.display_name,
    )


async def _principal_from_api_token(state: Any, session: AsyncSession, token: str) -> Principal:
    digest = api_token_hmac(state.settings, token)
    api_token = await session.scalar(select(ApiToken).where(ApiToken.token_hmac == digest))
    now = utcnow()
    if api_token is None:
        raise Unauthorized("Unknown API token.", code="invalid_token")
    if api_token.revoked_at is not None:
        raise Unauthorized("This API token was revoked.", code="token_revoked")
    if api_token.expires_at <= now:
        raise Unauthorized("This API token has expired.", code="token_expired")
    # Committed by optional_principal before the request's own work, so it holds even if the request fails.
    await session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
    return Principal(
        kind="token",
        role=Role.assessor,
        token_id=api_token.id,
        organisation_id=api_token.organisation_id,
        scopes=frozenset(api_token.scopes),
        campaign_id=api_token.campaign_id,
        label=f"API token {api_token.prefix}",
    )


async def start_session(session: AsyncSession, settings: Settings, user: User) -> dict[str, Any]:
    """A new login session: an access token and the first refresh token of its family."""
    auth_session = AuthSession(user_id=user.id)
    session.add(auth_session)
    user.last_login_at = utcnow()
    await session.flush()
    return await _tokens_for(session, settings, user, auth_session.id)


async def _tokens_for(session: AsyncSession, settings: Settings, user: User, sid: uuid.UUID) -> dict[str, Any]:
    refresh = REFRESH_PREFIX + random_token()
    session.add(
        RefreshToken(
            session_id=sid,
            token_hash=sha256_hex(refresh),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    access, ttl = issue_access_token(settings, user_id=user.id, session_id=sid, role=user.role.value)
    await session.flush()
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "role": user.role.value,
        "user_id": str(user.id),
    }


async def login_with_password(
    session: AsyncSession, settings: Settings, username: str, password: str
) -> dict[str, Any]:
    """Staff login; unknown users and wrong passwords get the same answer in the same time."""
    user = await session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
    tokens = await start_session(session, settings, user)
    await audit.record(session, audit.Actor("user", str(user.id), user.display_name), "auth.login", "user", user.id)
    return tokens


async def _revoke_for_reuse(session: AsyncSession, family: AuthSession, now) -> Unauthorized:
    family.revoked_at, family.revoked_reason = now, "refresh_token_reuse"
    await audit.record(
        session,
        audit.Actor("system", None, "token rotation"),
        "auth.refresh_reuse",
        "auth_session",
        family.id,
        after={"revoked_reason": "refresh_token_reuse"},
    )
    # commit=True: the revocation must stick although the request is refused.
    return Unauthorized(
        "This refresh token was already used; the session is revoked.", code="refresh_token_reused", commit=True
    )


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> dict[str, Any]:
    """Rotate a refresh token; reuse of a spent one revokes its whole family."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(refresh_token)).with_for_update()
    )
    now = utcnow()
    if row is None:
        raise Unauthorized("Unknown refresh token.", code="invalid_refresh_token")
    family = await session.get(AuthSession, row.session_id, with_for_update=True)
    if family is None or family.revoked_at is not None:
        raise Unauthorized("This session has ended; log in again.", code="session_revoked")
    if row.used_at is not None:
        raise await _revoke_for_reuse(session, family, now)
    if row.expires_at <= now:
        raise Unauthorized("The refresh token has expired; log in again.", code="refresh_token_expired")
    # Spent only if still unspent: SQLite has no row locks, so two racing exchanges of one token
    # are told apart here, and the loser is treated as the reuse it is.
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise await _revoke_for_reuse(session, family, now)
    user = await session.get(User, family.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account is disabled.", code="account_disabled")
    return await _tokens_for(session, settings, user, family.id)


async def logout(session: AsyncSession, principal: Principal) -> None:
    """End the caller's login session: its refresh tokens and access tokens stop working."""
    family = await session.get(AuthSession, principal.session_id)
    if family and family.revoked_at is None:
        family.revoked_at, family.revoked_reason = utcnow(), "logout"
        await audit.record(session, principal.actor, "auth.logout", "auth_session", family.id)
