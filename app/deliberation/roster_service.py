"""The community's roster of resident representatives: the total that quorum and majority count against."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import User
from app.auth.otp_service import phone_digest
from app.auth.principal import Principal
from app.auth.scoping import region_or_422
from app.auth.secrets import mask_phone, normalise_phone
from app.common.rows import get_or_404
from app.core import clock
from app.core.config import Settings
from app.core.errors import Conflict, Unprocessable
from app.deliberation import policy, rules
from app.deliberation.enums import MeetingState
from app.deliberation.models import Meeting, Representative
from app.deliberation.schemas import RepresentativeCreate, RepresentativeRetire
from app.regions.models import Region, RegionLevel
from app.regions.rules import SUB_UNITS, is_within


def snapshot(rep: Representative) -> dict:
    """The audited state of a roster entry (the phone only masked)."""
    return {
        "id": rep.id,
        "community_id": rep.community_id,
        "name": rep.name,
        "user_id": rep.user_id,
        "unit_id": rep.unit_id,
        "phone": rep.phone_masked,
        "active": rep.active,
        "joined_on": rep.joined_on,
        "left_on": rep.left_on,
    }


def key_of(rep: Representative) -> rules.RosterKey:
    """What tells this representative from another of the same name."""
    return rules.RosterKey(rep.name, rep.unit_id, rep.phone_digest)


async def describe(session: AsyncSession, reps: Sequence[Representative]) -> list[dict[str, Any]]:
    """Roster entries with their unit's name, masked phone and the label staff tell them apart by."""
    unit_ids = {r.unit_id for r in reps if r.unit_id is not None}
    names = (
        dict((await session.execute(select(Region.id, Region.name).where(Region.id.in_(unit_ids)))).all())
        if unit_ids
        else {}
    )
    return [
        {
            **rep.model_dump(),
            "unit_name": names.get(rep.unit_id),
            "label": rules.representative_label(rep.name, names.get(rep.unit_id), rep.phone_masked),
        }
        for rep in reps
    ]


async def view(session: AsyncSession, rep: Representative) -> dict[str, Any]:
    """One roster entry as staff read it."""
    [shown] = await describe(session, [rep])
    return shown


async def with_representatives(session: AsyncSession, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Sign-in or vote rows with the name and label of their representative, so two 张伟 can be told apart."""
    ids = {row.representative_id for row in rows}
    reps = (await session.scalars(select(Representative).where(Representative.id.in_(ids)))).all() if ids else []
    by_id = {d["id"]: d for d in await describe(session, reps)}
    return [
        {
            **row.model_dump(),
            "representative_name": by_id[row.representative_id]["name"],
            "representative_label": by_id[row.representative_id]["label"],
        }
        for row in rows
    ]


async def _check_not_duplicate(session: AsyncSession, community_id: uuid.UUID, new: Representative) -> None:
    namesakes = (
        await session.scalars(
            select(Representative).where(
                Representative.community_id == community_id, Representative.active, Representative.name == new.name
            )
        )
    ).all()
    twin = next((r for r in namesakes if rules.same_representative(key_of(r), key_of(new))), None)
    if twin is not None:
        shown = await view(session, twin)
        raise Conflict(
            f"名册上已有代表“{shown['label']}”，无法与新登记的同名代表区分。同名代表请以所在网格/小区/楼栋"
            "（unit_id）或手机号（phone）区分。An active representative with that name, unit and phone is "
            "already on the roster.",
            code="representative_exists",
            extra={"representative_id": str(twin.id), "label": shown["label"]},
        )


async def get_community(session: AsyncSession, community_id: uuid.UUID) -> Region:
    """The community named in a path, or 404."""
    return await get_or_404(
        session,
        Region,
        community_id,
        code="community_not_found",
        detail="No community with that id.",
        accept=lambda r: r.level == RegionLevel.community,
    )


async def get_representative(session: AsyncSession, representative_id: uuid.UUID) -> Representative:
    """The roster entry, or 404."""
    return await get_or_404(
        session,
        Representative,
        representative_id,
        code="representative_not_found",
        detail="No representative with that id.",
    )


async def active_count(session: AsyncSession, community_id: uuid.UUID) -> int:
    """How many representatives the community has now: ALL representatives, for quorum and majority."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Representative)
            .where(Representative.community_id == community_id, Representative.active)
        )
        or 0
    )


async def _check_not_in_session(session: AsyncSession, community_id: uuid.UUID) -> None:
    # The total was frozen when the session opened; changing the roster mid-meeting would let the
    # sign-in sheet count people the total does not.
    busy = await session.scalar(
        select(Meeting.id)
        .where(Meeting.community_id == community_id, Meeting.state == MeetingState.in_session)
        .limit(1)
    )
    if busy is not None:
        raise Conflict(
            "A representative meeting of this community is in session; change the roster after it closes.",
            code="roster_frozen",
        )


async def add_representative(
    session: AsyncSession, settings: Settings, principal: Principal, community: Region, data: RepresentativeCreate
) -> Representative:
    """Put a person on the roster; two of the same name must differ in their unit or phone."""
    policy.check_organise(principal, community.path, "community")
    await _check_not_in_session(session, community.id)
    unit = await region_or_422(session, data.unit_id)
    if unit is not None and (unit.level not in SUB_UNITS or not is_within(unit.path, community.path)):
        raise Unprocessable(
            "The unit must be a grid, compound, group or building of the community.", code="unit_outside_community"
        )
    if data.user_id is not None and await session.get(User, data.user_id) is None:
        raise Unprocessable("No user with that id.", code="unknown_user")
    phone = normalise_phone(data.phone) if data.phone is not None else None
    if data.phone is not None and phone is None:
        raise Unprocessable(
            "手机号须为11位大陆手机号码。phone is not an 11-digit mainland mobile number.", code="phone_invalid"
        )
    rep = Representative(
        community_id=community.id,
        region_path=community.path,
        name=data.name,
        user_id=data.user_id,
        unit_id=data.unit_id,
        joined_on=data.joined_on or clock.today(),
        phone_digest=phone_digest(settings, phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
    )
    await _check_not_duplicate(session, community.id, rep)
    session.add(rep)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent addition of the same person, or the same account twice
        raise Conflict(
            "名册上已有该代表（同名且无法区分，或同一账号）。An active representative with that name, unit "
            "and phone, or that account, is already on the roster.",
            code="representative_exists",
        ) from exc
    await record(
        session,
        principal.actor,
        "representative.add",
        "representative",
        rep.id,
        after=snapshot(rep),
        region_path=rep.region_path,
    )
    return rep


async def retire_representative(
    session: AsyncSession, principal: Principal, rep: Representative, data: RepresentativeRetire
) -> Representative:
    """Take a representative off the roster; past sign-ins and votes keep pointing at the entry."""
    policy.check_organise(principal, rep.region_path, "representative")
    if not rep.active:
        raise Conflict("The representative is already off the roster.", code="representative_retired")
    await _check_not_in_session(session, rep.community_id)
    before = snapshot(rep)
    rep.active, rep.left_on = False, data.left_on or clock.today()
    await session.flush()
    await record(
        session,
        principal.actor,
        "representative.retire",
        "representative",
        rep.id,
        before=before,
        after=snapshot(rep),
        region_path=rep.region_path,
    )
    return rep


def list_statement(community_id: uuid.UUID, active: bool | None) -> Select:
    """The community's roster by name."""
    stmt = select(Representative).where(Representative.community_id == community_id)
    if active is not None:
        stmt = stmt.where(Representative.active == active)
    return stmt.order_by(Representative.name, Representative.id)
