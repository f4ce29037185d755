"""The community's roster of resident representatives: the total that quorum and majority count against."""

import uuid
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.audit.service import record
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.scoping import region_or_422
from app.deliberation import policy
from app.deliberation.enums import MeetingState
from app.deliberation.models import Meeting, Representative
from app.deliberation.schemas import RepresentativeCreate, RepresentativeRetire
from app.errors import Conflict, NotFound, Unprocessable
from app.regions.models import Region, RegionLevel
from app.regions.rules import SUB_UNITS


def today() -> date:
    """Today in Asia/Shanghai, where the meetings happen."""
    return clock.today()


def snapshot(rep: Representative) -> dict:
    """The audited state of a roster entry."""
    return {"id": rep.id, "community_id": rep.community_id, "name": rep.name, "user_id": rep.user_id,
            "unit_id": rep.unit_id, "active": rep.active, "joined_on": rep.joined_on, "left_on": rep.left_on}


async def get_community(session: AsyncSession, community_id: uuid.UUID) -> Region:
    """The community named in a path, or 404."""
    region = await session.get(Region, community_id)
    if region is None or region.level != RegionLevel.community:
        raise NotFound("No community with that id.", code="community_not_found")
    return region


async def get_representative(session: AsyncSession, representative_id: uuid.UUID) -> Representative:
    """The roster entry, or 404."""
    rep = await session.get(Representative, representative_id)
    if rep is None:
        raise NotFound("No representative with that id.", code="representative_not_found")
    return rep


async def active_count(session: AsyncSession, community_id: uuid.UUID) -> int:
    """How many representatives the community has now: ALL representatives, for quorum and majority."""
    return await session.scalar(select(func.count()).select_from(Representative)
                                .where(Representative.community_id == community_id, Representative.active)) or 0


async def _check_not_in_session(session: AsyncSession, community_id: uuid.UUID) -> None:
    # The total was frozen when the session opened; changing the roster mid-meeting would let the
    # sign-in sheet count people the total does not.
    busy = await session.scalar(select(Meeting.id).where(Meeting.community_id == community_id,
                                                         Meeting.state == MeetingState.in_session).limit(1))
    if busy is not None:
        raise Conflict("A representative meeting of this community is in session; change the roster after it closes.",
                       code="roster_frozen")


async def add_representative(session: AsyncSession, principal: Principal, community: Region,
                             data: RepresentativeCreate) -> Representative:
    """Put a person on the roster (names are unique among active representatives)."""
    policy.check_organise(principal, community.path, "community")
    await _check_not_in_session(session, community.id)
    unit = await region_or_422(session, data.unit_id)
    if unit is not None and (unit.level not in SUB_UNITS or not unit.path.startswith(community.path)):
        raise Unprocessable("The unit must be a grid, compound, group or building of the community.",
                            code="unit_outside_community")
    if data.user_id is not None and await session.get(User, data.user_id) is None:
        raise Unprocessable("No user with that id.", code="unknown_user")
    rep = Representative(community_id=community.id, region_path=community.path, name=data.name,
                         user_id=data.user_id, unit_id=data.unit_id, joined_on=data.joined_on or today())
    session.add(rep)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("An active representative with that name or account is already on the roster.",
                       code="representative_exists") from exc
    await record(session, principal.actor, "representative.add", "representative", rep.id,
                 after=snapshot(rep), region_path=rep.region_path)
    return rep


async def retire_representative(session: AsyncSession, principal: Principal, rep: Representative,
                                data: RepresentativeRetire) -> Representative:
    """Take a representative off the roster; past sign-ins and votes keep pointing at the entry."""
    policy.check_organise(principal, rep.region_path, "representative")
    if not rep.active:
        raise Conflict("The representative is already off the roster.", code="representative_retired")
    await _check_not_in_session(session, rep.community_id)
    before = snapshot(rep)
    rep.active, rep.left_on = False, data.left_on or today()
    await session.flush()
    await record(session, principal.actor, "representative.retire", "representative", rep.id,
                 before=before, after=snapshot(rep), region_path=rep.region_path)
    return rep


def list_statement(community_id: uuid.UUID, active: bool | None) -> Select:
    """The community's roster by name."""
    stmt = select(Representative).where(Representative.community_id == community_id)
    if active is not None:
        stmt = stmt.where(Representative.active == active)
    return stmt.order_by(Representative.name, Representative.id)
