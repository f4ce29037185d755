"""Region lookups shared by the staff-facing auth services."""

import uuid

from sqlalchemy import Select, false, literal, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.rules import within_scope
from app.core.errors import Forbidden, Unprocessable
from app.regions.models import Region


async def region_or_422(session: AsyncSession, region_id: uuid.UUID | None) -> Region | None:
    """The region a request body names (None when it names none); 422 when it does not exist."""
    if region_id is None:
        return None
    region = await session.get(Region, region_id)
    if region is None:
        raise Unprocessable("No region with that id.", code="unknown_region")
    return region


def require_within(principal: Principal, path: str | None, what: str = "That region") -> None:
    """403 unless path is inside the caller's region (admins pass everywhere)."""
    if not within_scope(principal.role, principal.region_path, path):
        raise Forbidden(f"{what} is outside your region.", code="out_of_region")


def restrict_to_region(stmt: Select, principal: Principal, path_column) -> Select:
    """Narrow a select to rows whose region path lies in the caller's region (admins: no filter)."""
    if principal.role == Role.admin:
        return stmt
    if not principal.region_path:
        return stmt.where(false())
    return stmt.where(path_column.startswith(principal.region_path, autoescape=True))


def restrict_to_overlapping(stmt: Select, principal: Principal, path_column) -> Select:
    """Narrow stmt to rows at, above or below the caller's node (district-level rows a street may read);
    admins: no filter; no region: nothing."""
    if principal.role == Role.admin:
        return stmt
    own = principal.region_path
    if not own:
        return stmt.where(false())
    return stmt.where(or_(path_column.startswith(own, autoescape=True), literal(own).startswith(path_column)))
