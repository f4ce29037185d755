"""API tokens for organisations: issue (secret shown once), list, revoke. The CLI calls these too."""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth import hooks, rules, users_service
from app.auth.models import ApiToken, Organisation, User
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.auth.scoping import require_within, restrict_to_region
from app.auth.secrets import random_token
from app.auth.service import API_TOKEN_PREFIX, api_token_hmac
from app.auth.tokens_schemas import ApiTokenCreate
from app.common.models import utcnow
from app.common.pagination import paginate
from app.common.rows import get_or_404
from app.common.schemas import PageParams
from app.core.config import Settings
from app.core.errors import NotFound, Unprocessable
from app.regions.models import Region

PREFIX_LENGTH = 12  # "wst_" and 8 random characters: enough to tell tokens apart in a list


async def issue_api_token(
    session: AsyncSession,
    settings: Settings,
    organisation_id: uuid.UUID,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    campaign_id: uuid.UUID | None,
    actor: audit.Actor,
    *,
    created_by_id: uuid.UUID | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is not stored and cannot be shown again."""
    org = await session.get(Organisation, organisation_id)
    if org is None:
        raise Unprocessable("No organisation with that id.", code="unknown_organisation")
    try:
        scope_values = sorted({Scope(s).value for s in scopes})
    except ValueError as exc:
        raise Unprocessable(
            f"Unknown scope; choose from {', '.join(s.value for s in Scope)}.", code="unknown_scope"
        ) from exc
    if not scope_values:
        raise Unprocessable("A token needs at least one scope.", code="no_scope")
    problem = rules.token_expiry_problem(utcnow(), expires_at)
    if problem:
        raise Unprocessable(problem, code="bad_expiry")
    if campaign_id is not None and await hooks.campaign_region(session, campaign_id) is None:
        raise Unprocessable("No evaluation campaign with that id.", code="unknown_campaign")
    secret = API_TOKEN_PREFIX + random_token(32)
    token = ApiToken(
        organisation_id=org.id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hmac=api_token_hmac(settings, secret),
        scopes=scope_values,
        campaign_id=campaign_id,
        expires_at=expires_at,
        created_by_id=created_by_id,
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session,
        actor,
        "api_token.issue",
        "api_token",
        token.id,
        after={
            "organisation_id": str(org.id),
            "name": name,
            "prefix": token.prefix,
            "scopes": scope_values,
            "expires_at": expires_at.isoformat(),
            "campaign_id": str(campaign_id) if campaign_id else None,
        },
    )
    return token, secret


async def revoke_api_token(session: AsyncSession, token_id: uuid.UUID, actor: audit.Actor) -> ApiToken:
    """Revoke a token at once (it answers 401 from now on); revoking twice changes nothing."""
    token = await get_or_404(
        session, ApiToken, token_id, code="api_token_not_found", detail="No API token with that id.", lock="update"
    )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            actor,
            "api_token.revoke",
            "api_token",
            token.id,
            after={"prefix": token.prefix, "revoked_at": token.revoked_at.isoformat()},
        )
    return token


async def issue_for(
    session: AsyncSession, settings: Settings, principal: Principal, data: ApiTokenCreate
) -> tuple[ApiToken, str]:
    """Issue on behalf of a staff member, for an organisation seated inside their region (admins: any)."""
    # The same rule as binding a user: an organisation seated in the caller's region (no region: admins only).
    await users_service.check_organisation(session, principal, data.organisation_id)
    if data.campaign_id is not None:
        campaign_path = await hooks.campaign_region(session, data.campaign_id)
        if campaign_path is not None:  # unknown campaigns get their 422 from issue_api_token
            require_within(principal, campaign_path, "That campaign")
    expires_at = utcnow() + timedelta(days=data.expires_in_days)
    return await issue_api_token(
        session,
        settings,
        data.organisation_id,
        data.name,
        data.scopes,
        expires_at,
        data.campaign_id,
        principal.actor,
        created_by_id=principal.user_id,
    )


def _visible(principal: Principal):
    # A token belongs to the region of the staff member who issued it; CLI-issued ones to admins.
    stmt = (
        select(ApiToken)
        .outerjoin(User, User.id == ApiToken.created_by_id)
        .outerjoin(Region, Region.id == User.region_id)
    )
    return restrict_to_region(stmt, principal, Region.path)


async def list_for(
    session: AsyncSession, principal: Principal, params: PageParams, organisation_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """One page of the tokens the caller may manage, newest first."""
    stmt = _visible(principal)
    if organisation_id is not None:
        stmt = stmt.where(ApiToken.organisation_id == organisation_id)
    return await paginate(session, stmt.order_by(ApiToken.created_at.desc(), ApiToken.id), params)


async def revoke_for(session: AsyncSession, principal: Principal, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token the caller may manage: 404 when unknown, 403 when issued outside their region."""
    row = (
        await session.execute(
            select(ApiToken.id, Region.path)
            .outerjoin(User, User.id == ApiToken.created_by_id)
            .outerjoin(Region, Region.id == User.region_id)
            .where(ApiToken.id == token_id)
        )
    ).first()
    if row is None:
        raise NotFound("No API token with that id.", code="api_token_not_found")
    require_within(principal, row[1], "That token")
    return await revoke_api_token(session, token_id, principal.actor)
