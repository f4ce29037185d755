"""Small reads the board needs that no domain service offers: community names and the round's notice."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.notices.models import Notice
from app.regions.models import Region, RegionLevel


async def communities(session: AsyncSession) -> list[dict]:
    """Every community with its street's name, for the filter (grouped by street, then by name)."""
    street = aliased(Region)
    rows = await session.execute(
        select(Region.id, Region.name, street.name)
        .outerjoin(street, street.id == Region.parent_id)
        .where(Region.level == RegionLevel.community)
        .order_by(street.name, Region.name)
    )
    return [{"id": rid, "name": name, "street": street_name or ""} for rid, name, street_name in rows.all()]


async def region_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of these regions by id."""
    if not ids:
        return {}
    rows = await session.execute(select(Region.id, Region.name).where(Region.id.in_(list(ids))))
    return dict(rows.all())


async def notice_of_round(session: AsyncSession, round_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the notice publishing this round's selection, if there is one."""
    return await session.scalar(select(Notice.id).where(Notice.round_id == round_id))
