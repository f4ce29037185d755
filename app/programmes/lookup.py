"""Read-only programme lookups other domains use (proposals, deliberation) to find the rules that govern them."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.programmes.models import Programme, ProgrammeStatus
from app.programmes.ruleset import ProgrammeRules
from app.programmes.service import programme_rules


def district_id_of(region_path: str) -> uuid.UUID:
    """The district a node belongs to: the first segment of its materialised path."""
    return uuid.UUID(region_path.strip("/").split("/")[0])


async def open_programme_for(session: AsyncSession, region_path: str) -> Programme | None:
    """The newest open programme of the node's district, or None when the district has none open."""
    return await session.scalar(
        select(Programme)
        .where(Programme.district_id == district_id_of(region_path), Programme.status == ProgrammeStatus.open)
        .order_by(Programme.year.desc())
        .limit(1)
    )


def rules_of(programme: Programme | None) -> ProgrammeRules:
    """The programme's validated rules; the seeds' defaults when there is no programme."""
    return programme_rules(programme) if programme is not None else ProgrammeRules()
