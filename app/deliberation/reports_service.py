"""Which communities held no valid representative meeting in a quarter (seed 000: at least once a quarter)."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.schemas import PageParams
from app.deliberation import rules
from app.deliberation.enums import MeetingState
from app.deliberation.models import Meeting
from app.regions.models import Region, RegionLevel


async def meeting_gaps(
    session: AsyncSession, principal: Principal, year: int, quarter: int, params: PageParams
) -> dict[str, Any]:
    """Communities of the caller's region with no closed, quorate meeting opened in the quarter (Shanghai dates).

    An inquorate meeting was not a valid meeting, so it does not count.
    """
    first, last = rules.quarter_bounds(year, quarter)
    start, end = rules.shanghai_day_bounds_utc(first, last)
    valid = (Meeting.state == MeetingState.closed) & Meeting.quorate.is_(True)
    held = select(Meeting.community_id).where(valid, Meeting.opened_at >= start, Meeting.opened_at < end)
    latest = (
        select(Meeting.community_id, func.max(Meeting.opened_at).label("last_at"))
        .where(valid, Meeting.opened_at < end)
        .group_by(Meeting.community_id)
        .subquery()
    )
    stmt = (
        select(Region.id, Region.name, Region.parent_id, latest.c.last_at)
        .outerjoin(latest, latest.c.community_id == Region.id)
        .where(Region.level == RegionLevel.community, Region.id.not_in(held))
    )
    stmt = restrict_to_region(stmt, principal, Region.path)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (
        await session.execute(stmt.order_by(Region.path, Region.id).limit(params.limit).offset(params.offset))
    ).all()
    items = [
        {"community_id": r.id, "name": r.name, "street_id": r.parent_id, "last_meeting_at": r.last_at} for r in rows
    ]
    return {
        "items": items,
        "total": total or 0,
        "limit": params.limit,
        "offset": params.offset,
        "year": year,
        "quarter": quarter,
        "starts_on": first,
        "ends_on": last,
    }


def default_quarter(today: date) -> tuple[int, int]:
    """The last complete quarter before today."""
    return rules.previous_quarter(today)
