"""Rubrics: created with a first version, new versions appended (never edited), read by the district."""

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, restrict_to_overlapping
from app.common.rows import get_or_404
from app.core.errors import Unprocessable
from app.evaluation import policy, rules
from app.evaluation.models import Rubric, RubricVersion
from app.evaluation.schemas import CriterionIn, RubricCreate, RubricVersionCreate
from app.regions.models import RegionLevel


def criteria_of(version: RubricVersion) -> list[rules.Criterion]:
    """A version's criteria as the rules take them."""
    return [rules.Criterion(c["key"], c["name"], c["max_points"]) for c in version.criteria]


def _checked(criteria: list[CriterionIn]) -> list[dict[str, Any]]:
    problem = rules.rubric_problem([rules.Criterion(c.key, c.name, c.max_points) for c in criteria])
    if problem:
        raise Unprocessable(problem.message, code=problem.code, extra=problem.extra)
    return [c.model_dump() for c in criteria]


def _version_snapshot(version: RubricVersion) -> dict[str, Any]:
    return {
        "rubric_id": version.rubric_id,
        "version": version.version,
        "criteria": version.criteria,
        "note": version.note,
    }


async def create_rubric(session: AsyncSession, principal: Principal, body: RubricCreate) -> Rubric:
    """A rubric of the caller's district with version 1 (criteria adding up to 100)."""
    district = await region_or_422(session, body.district_id)
    if district.level != RegionLevel.district:
        raise Unprocessable("A rubric belongs to a district (区).", code="not_a_district")
    policy.check_manage(principal, district.path)
    criteria = _checked(body.criteria)
    rubric = Rubric(
        district_id=district.id,
        region_path=district.path,
        name=body.name,
        latest_version=1,
        created_by=principal.actor.id,
    )
    session.add(rubric)
    await session.flush()
    version = RubricVersion(
        rubric_id=rubric.id,
        version=1,
        criteria=criteria,
        total_points=rules.RUBRIC_TOTAL,
        note=body.note,
        created_by=principal.actor.id,
    )
    session.add(version)
    await session.flush()
    await record(
        session,
        principal.actor,
        "rubric.create",
        "rubric",
        rubric.id,
        after={"name": rubric.name, **_version_snapshot(version)},
        region_path=rubric.region_path,
    )
    return rubric


async def get_rubric(session: AsyncSession, rubric_id: uuid.UUID, *, lock: str | None = None) -> Rubric:
    """The rubric, or 404."""
    return await get_or_404(
        session, Rubric, rubric_id, code="rubric_not_found", detail="No rubric with that id.", lock=lock, fresh=True
    )


async def rubric_for(session: AsyncSession, principal: Principal, rubric_id: uuid.UUID) -> Rubric:
    """The rubric as the caller may read it (404 outside their district)."""
    rubric = await get_rubric(session, rubric_id)
    policy.check_oversee(principal, rubric.region_path, "rubric")
    return rubric


async def add_version(
    session: AsyncSession, principal: Principal, rubric_id: uuid.UUID, body: RubricVersionCreate
) -> Rubric:
    """Append the next version (rubric row locked, so concurrent versions get distinct numbers)."""
    rubric = await get_rubric(session, rubric_id, lock="update")
    policy.check_oversee(principal, rubric.region_path, "rubric")
    policy.check_manage(principal, rubric.region_path)
    criteria = _checked(body.criteria)
    rubric.latest_version += 1
    version = RubricVersion(
        rubric_id=rubric.id,
        version=rubric.latest_version,
        criteria=criteria,
        total_points=rules.RUBRIC_TOTAL,
        note=body.note,
        created_by=principal.actor.id,
    )
    session.add(version)
    await session.flush()
    await record(
        session,
        principal.actor,
        "rubric.version",
        "rubric",
        rubric.id,
        after=_version_snapshot(version),
        region_path=rubric.region_path,
    )
    return rubric


async def versions_of(session: AsyncSession, rubric_id: uuid.UUID) -> list[RubricVersion]:
    """Every version of a rubric, newest first."""
    return list(
        await session.scalars(
            select(RubricVersion).where(RubricVersion.rubric_id == rubric_id).order_by(RubricVersion.version.desc())
        )
    )


async def version_of(session: AsyncSession, rubric: Rubric, number: int | None) -> RubricVersion:
    """A version of the rubric (default: the latest); 422 when it has no such version."""
    version = await session.scalar(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric.id, RubricVersion.version == (number or rubric.latest_version)
        )
    )
    if version is None:
        raise Unprocessable(f"The rubric has no version {number}.", code="unknown_rubric_version")
    return version


def list_statement(principal: Principal, district_id: uuid.UUID | None) -> Select:
    """Rubrics of districts at or below the caller's region, by name."""
    stmt = restrict_to_overlapping(select(Rubric), principal, Rubric.region_path)
    if district_id:
        stmt = stmt.where(Rubric.district_id == district_id)
    return stmt.order_by(Rubric.name, Rubric.id)


async def view(session: AsyncSession, rubric: Rubric) -> dict[str, Any]:
    """The rubric with its versions."""
    return {**rubric.model_dump(), "versions": await versions_of(session, rubric.id)}
