"""Which regions a staff report covers, shared by the finance and project-money reports."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.common.rows import get_or_404
from app.regions.models import Region


async def report_scope(session: AsyncSession, principal: Principal, region_id: uuid.UUID | None) -> str | None:
    """The path prefix the report covers: the named region if the caller sees it, else the caller's own."""
    if region_id is None:
        return None if principal.role == Role.admin else principal.region_path or "\0"
    region = await get_or_404(
        session,
        Region,
        region_id,
        code="region_not_found",
        detail="No region with that id.",
        accept=lambda r: principal.sees_region(r.path),
    )
    return region.path
