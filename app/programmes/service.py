"""Programme and pilot transactions: load, check rules and scope, persist, audit (flush only)."""

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.audit.service import record
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, restrict_to_overlapping
from app.common import partitions
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.funds import accounts_service
from app.programmes import policy, rules
from app.programmes.models import Pilot, Programme, ProgrammeStatus
from app.programmes.ruleset import ProgrammeRules, merge_rules
from app.programmes.schemas import PilotCreate, ProgrammeCreate, ProgrammeUpdate
from app.regions.models import Region, RegionLevel
from app.regions.rules import is_within


def snapshot(programme: Programme) -> dict[str, Any]:
    """The audited state of a programme."""
    return {
        "id": programme.id,
        "district_id": programme.district_id,
        "year": programme.year,
        "name": programme.name,
        "status": programme.status,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "closing_date": programme.closing_date,
        "rules": programme.rules,
    }


def programme_rules(programme: Programme) -> ProgrammeRules:
    """The programme's rules as the validated model."""
    return ProgrammeRules.model_validate(programme.rules)


async def get_programme(session: AsyncSession, programme_id: uuid.UUID) -> Programme:
    """The programme, or 404."""
    return await get_or_404(
        session, Programme, programme_id, code="programme_not_found", detail="No programme with that id."
    )


async def get_pilot(session: AsyncSession, pilot_id: uuid.UUID) -> Pilot:
    """The pilot, or 404."""
    return await get_or_404(session, Pilot, pilot_id, code="pilot_not_found", detail="No pilot with that id.")


@dataclass(frozen=True)
class PilotContext:
    """A pilot with the programme and rules that govern its money."""

    pilot: Pilot
    programme: Programme
    rules: ProgrammeRules


async def pilot_context(session: AsyncSession, pilot_id: uuid.UUID) -> PilotContext:
    """The pilot, its programme and rules; 404 when the pilot does not exist."""
    pilot = await get_pilot(session, pilot_id)
    programme = await get_programme(session, pilot.programme_id)
    return PilotContext(pilot, programme, programme_rules(programme))


def _period(year: int, starts_on, ends_on, closing_date) -> tuple:
    default_start, default_end = rules.default_period(year)
    starts_on, ends_on = starts_on or default_start, ends_on or default_end
    closing_date = closing_date or ends_on
    problem = rules.period_problem(year, starts_on, ends_on, closing_date)
    if problem:
        raise Unprocessable(problem, code="invalid_programme_period")
    return starts_on, ends_on, closing_date


async def create_programme(session: AsyncSession, principal: Principal, data: ProgrammeCreate) -> Programme:
    """A draft programme for a district and year (one per district and year)."""
    district = await region_or_422(session, data.district_id)
    if district.level != RegionLevel.district:
        raise Unprocessable("A programme belongs to a district (区).", code="not_a_district")
    policy.check_manage(principal, district.path)
    starts_on, ends_on, closing_date = _period(data.year, data.starts_on, data.ends_on, data.closing_date)
    programme = Programme(
        district_id=district.id,
        region_path=district.path,
        year=data.year,
        name=data.name,
        starts_on=starts_on,
        ends_on=ends_on,
        closing_date=closing_date,
        rules=data.rules.model_dump(mode="json"),
    )
    session.add(programme)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The district already has a programme for {data.year}.", code="programme_exists") from exc
    # Its rounds' ballots need their year's partition on PostgreSQL: made now if the year has none.
    await partitions.ensure(await session.connection(), [data.year])
    await record(
        session,
        principal.actor,
        "programme.create",
        "programme",
        programme.id,
        after=snapshot(programme),
        region_path=programme.region_path,
    )
    return programme


def _frozen(programme: Programme) -> Conflict:
    return Conflict(
        f"The programme is {programme.status.value}: its rules were frozen when it opened.", code="programme_frozen"
    )


async def update_programme(
    session: AsyncSession, principal: Principal, programme: Programme, data: ProgrammeUpdate
) -> Programme:
    """Change a draft's name, period or rules; 409 once it has opened."""
    policy.check_manage(principal, programme.region_path)
    if not rules.editable(programme.status):
        raise _frozen(programme)
    before = snapshot(programme)
    changes = data.model_dump(exclude_unset=True)
    if "rules" in changes and changes["rules"] is not None:
        try:
            programme.rules = merge_rules(programme.rules, changes["rules"]).model_dump(mode="json")
        except ValidationError as exc:
            errors = [
                {"loc": ["body", "rules", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ]
            raise Unprocessable(
                "The rules are not valid; see errors.", code="invalid_rules", extra={"errors": errors}
            ) from exc
    if changes.get("name"):
        programme.name = changes["name"]
    dates = {k: changes.get(k) or getattr(programme, k) for k in ("starts_on", "ends_on", "closing_date")}
    programme.starts_on, programme.ends_on, programme.closing_date = _period(programme.year, **dates)
    programme.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "programme.update",
        "programme",
        programme.id,
        before=before,
        after=snapshot(programme),
        region_path=programme.region_path,
    )
    return programme


async def street_counts(session: AsyncSession, programme: Programme) -> list[rules.StreetCount]:
    """Every street of the programme's district with its community and pilot counts."""
    community = aliased(Region)
    communities = (
        select(Region.id, Region.name, func.count(community.id))
        .outerjoin(community, (community.parent_id == Region.id) & (community.level == RegionLevel.community))
        .where(Region.parent_id == programme.district_id, Region.level == RegionLevel.street)
        .group_by(Region.id, Region.name)
    )
    pilots = dict(
        (
            await session.execute(
                select(Pilot.street_id, func.count())
                .where(Pilot.programme_id == programme.id)
                .group_by(Pilot.street_id)
            )
        ).all()
    )
    return [
        rules.StreetCount(sid, name, n, pilots.get(sid, 0))
        for sid, name, n in (await session.execute(communities)).all()
    ]


async def opening_check(session: AsyncSession, programme: Programme) -> list[rules.Shortfall]:
    """Streets that fall short of the pilot rule (empty when the programme may open)."""
    return rules.shortfalls(await street_counts(session, programme))


def shortfall_extra(shortfalls: list[rules.Shortfall]) -> dict[str, Any]:
    """The problem members naming every street that falls short."""
    return {
        "streets": [
            {
                "street_id": str(s.street_id),
                "name": s.name,
                "communities": s.communities,
                "pilots": s.pilots,
                "required": s.required,
            }
            for s in shortfalls
        ]
    }


async def open_programme(session: AsyncSession, principal: Principal, programme: Programme) -> Programme:
    """Draft → open after the pilot rule holds for every street; the rules are frozen from now on."""
    policy.check_manage(principal, programme.region_path)
    if programme.status != ProgrammeStatus.draft:
        raise Conflict(f"The programme is already {programme.status.value}.", code="programme_not_draft")
    short = await opening_check(session, programme)
    if short:
        names = "、".join(f"{s.name} ({s.pilots}/{s.required})" for s in short)
        raise Conflict(
            f"These streets have too few pilots: {names}.", code="pilot_rule_unmet", extra=shortfall_extra(short)
        )
    before = snapshot(programme)
    programme.status, programme.opened_at, programme.updated_at = ProgrammeStatus.open, utcnow(), utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "programme.open",
        "programme",
        programme.id,
        before=before,
        after=snapshot(programme),
        region_path=programme.region_path,
    )
    return programme


async def close_programme(session: AsyncSession, principal: Principal, programme: Programme) -> list[dict]:
    """Open → closed, and year end: uncommitted money carried over or swept back, by ledger entries."""
    policy.check_manage(principal, programme.region_path)
    if programme.status != ProgrammeStatus.open:
        raise Conflict(
            f"Only an open programme can be closed; this one is {programme.status.value}.", code="programme_not_open"
        )
    before = snapshot(programme)
    lines = await accounts_service.year_end(session, principal.actor, programme, programme_rules(programme).year_end)
    programme.status, programme.closed_at, programme.updated_at = ProgrammeStatus.closed, utcnow(), utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "programme.close",
        "programme",
        programme.id,
        before=before,
        after={**snapshot(programme), "year_end": lines},
        region_path=programme.region_path,
    )
    return lines


async def rerun_year_end(session: AsyncSession, principal: Principal, programme: Programme) -> list[dict]:
    """Year end again on a closed programme: for money projects gave back after it closed."""
    policy.check_manage(principal, programme.region_path)
    if programme.status != ProgrammeStatus.closed:
        raise Conflict("Year end runs on a closed programme; close it first.", code="programme_not_closed")
    lines = await accounts_service.year_end(session, principal.actor, programme, programme_rules(programme).year_end)
    if lines:
        await record(
            session,
            principal.actor,
            "programme.year_end",
            "programme",
            programme.id,
            after={"year_end": lines},
            region_path=programme.region_path,
        )
    return lines


async def designate_pilot(
    session: AsyncSession, principal: Principal, programme: Programme, data: PilotCreate
) -> Pilot:
    """A community of the caller's street becomes a pilot; its balance and district subsidy source open."""
    community = await region_or_422(session, data.community_id)
    if community.level != RegionLevel.community:
        raise Unprocessable("Only a community (社区/村) can be a pilot.", code="not_a_community")
    if not is_within(community.path, programme.region_path):
        raise Unprocessable("The community is not in the programme's district.", code="community_outside_district")
    policy.check_designate(principal, community.path)
    if not rules.accepts_pilots(programme.status):
        raise Conflict("The programme is closed; no more pilots.", code="programme_closed")
    pilot = Pilot(
        programme_id=programme.id,
        community_id=community.id,
        street_id=community.parent_id,
        district_id=programme.district_id,
        year=programme.year,
        region_path=community.path,
        note=data.note,
        designated_by=principal.actor.id,
    )
    session.add(pilot)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The community is already a pilot this year.", code="pilot_exists") from exc
    source = await accounts_service.open_pilot_account(
        session, principal.actor, pilot, programme, programme_rules(programme).subsidy_per_pilot_fen
    )
    await record(
        session,
        principal.actor,
        "pilot.designate",
        "pilot",
        pilot.id,
        after={
            "programme_id": programme.id,
            "community_id": community.id,
            "year": pilot.year,
            "note": pilot.note,
            "subsidy_source_id": source.id,
            "subsidy_planned_fen": source.planned_fen,
        },
        region_path=pilot.region_path,
    )
    return pilot


def list_programmes_statement(
    principal: Principal, district_id: uuid.UUID | None, year: int | None, status: ProgrammeStatus | None
) -> Select:
    """Programmes of the district the caller belongs to (admins: all), newest year first."""
    stmt = select(Programme).order_by(Programme.year.desc(), Programme.id)
    stmt = restrict_to_overlapping(stmt, principal, Programme.region_path)
    if district_id:
        stmt = stmt.where(Programme.district_id == district_id)
    if year:
        stmt = stmt.where(Programme.year == year)
    if status:
        stmt = stmt.where(Programme.status == status)
    return stmt


def list_pilots_statement(principal: Principal, programme: Programme) -> Select:
    """The programme's pilots the caller may see: all from district level up, else their own region's."""
    stmt = select(Pilot).where(Pilot.programme_id == programme.id).order_by(Pilot.designated_at, Pilot.id)
    own = principal.region_path
    if principal.role != Role.admin and own and not is_within(programme.region_path, own):
        stmt = restrict_to_overlapping(stmt, principal, Pilot.region_path)
    return stmt
