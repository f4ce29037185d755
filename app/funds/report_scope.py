"""Which regions a staff report covers, shared by the finance and project-money reports."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.errors import NotFound
from app.regions.service import get_region


async def report_scope(session: AsyncSession, principal: Principal, region_id: uuid.UUID | None) -> str | None:
    """The path prefix the report covers: the named region if the caller sees it, else the caller's own."""
    if region_id is None:
        return None if principal.role == Role.admin else principal.region_path or "\0"
    try:
        region = await get_region(session, region_id)
    except NotFound:
        region = None
    if region is None or not principal.sees_region(region.path):
        raise NotFound("No region with that id.", code="region_not_found")
    return region.path
