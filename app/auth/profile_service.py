"""Who am I: the caller's role, region, masked phone and organisation."""

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiToken, Organisation, User, UserNotice
from app.auth.principal import Principal
from app.auth.schemas import MeOut, OrganisationRef, RegionRef
from app.core.errors import Unauthorized
from app.regions.models import Region


async def _organisation(session: AsyncSession, organisation_id) -> OrganisationRef | None:
    org = await session.get(Organisation, organisation_id) if organisation_id else None
    return OrganisationRef(id=org.id, name=org.name, kind=org.kind) if org else None


async def whoami(session: AsyncSession, principal: Principal) -> MeOut:
    """The caller as it would see itself (no secrets, phone masked)."""
    if principal.kind == "token":
        token = await session.get(ApiToken, principal.token_id)
        if token is None:
            raise Unauthorized("Unknown API token.", code="invalid_token")
        return MeOut(
            kind="token",
            role=principal.role,
            token_id=token.id,
            token_prefix=token.prefix,
            scopes=sorted(token.scopes),
            campaign_id=token.campaign_id,
            expires_at=token.expires_at,
            organisation=await _organisation(session, token.organisation_id),
        )
    user = await session.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("The session has ended; log in again.", code="session_revoked")
    region = await session.get(Region, user.region_id) if user.region_id else None
    return MeOut(
        kind="user",
        role=user.role,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone_masked=user.phone_masked,
        region=RegionRef(id=region.id, name=region.name, level=region.level.value, path=region.path)
        if region
        else None,
        organisation=await _organisation(session, user.organisation_id),
    )


def notices_statement(principal: Principal) -> Select:
    """The caller's own account notices, newest first (an API token has none)."""
    stmt = select(UserNotice).order_by(UserNotice.created_at.desc(), UserNotice.id)
    if principal.kind != "user":
        return stmt.where(false())
    return stmt.where(UserNotice.user_id == principal.user_id)
