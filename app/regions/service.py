"""Region transactions: load, check rules and scope, persist, audit (flush only; the request commits)."""

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.regions import policy, rules
from app.regions.models import Region, RegionLevel
from app.regions.schemas import RegionCreate, RegionTreeNode, RegionUpdate


def snapshot(region: Region) -> dict[str, Any]:
    """The audited state of a node."""
    return {
        "id": str(region.id),
        "parent_id": str(region.parent_id) if region.parent_id else None,
        "level": region.level.value,
        "name": region.name,
        "code": region.code,
        "residential_type": region.residential_type.value if region.residential_type else None,
        "path": region.path,
    }


async def get_region(session: AsyncSession, region_id: uuid.UUID) -> Region:
    """The node, or 404."""
    return await get_or_404(session, Region, region_id, code="region_not_found", detail=f"No region {region_id}.")


async def _name_taken(
    session: AsyncSession, parent_id: uuid.UUID | None, name: str, exclude: uuid.UUID | None = None
) -> bool:
    parent_clause = Region.parent_id.is_(None) if parent_id is None else Region.parent_id == parent_id
    stmt = select(Region.id).where(parent_clause, Region.name == name)
    if exclude is not None:
        stmt = stmt.where(Region.id != exclude)
    return (await session.scalar(stmt.limit(1))) is not None


def _duplicate(name: str) -> Conflict:
    return Conflict(f"A sibling named {name} already exists under this parent.", code="region_name_taken")


async def _flush_unique(session: AsyncSession, name: str) -> None:
    # The pre-check gives the friendly answer; this catches the race two concurrent writers can lose.
    try:
        await session.flush()
    except IntegrityError as exc:
        raise _duplicate(name) from exc


async def create_region(session: AsyncSession, principal: Principal, data: RegionCreate) -> Region:
    """Add a node under its parent after the scope, level and sibling-name checks."""
    parent = await get_region(session, data.parent_id) if data.parent_id else None
    policy.check_create(principal, parent)
    problem = rules.level_error(parent.level if parent else None, data.level)
    if problem is None and data.residential_type is not None:
        problem = rules.residential_type_error(data.level)
    if problem:
        raise Unprocessable(problem, code="region_level_invalid")
    if await _name_taken(session, data.parent_id, data.name):
        raise _duplicate(data.name)
    rid = uuid.uuid4()
    region = Region(
        id=rid,
        parent_id=data.parent_id,
        level=data.level,
        name=data.name,
        code=data.code,
        residential_type=data.residential_type,
        path=rules.child_path(parent.path if parent else None, rid),
    )
    session.add(region)
    await _flush_unique(session, data.name)
    await record(
        session, principal.actor, "region.create", "region", region.id, after=snapshot(region), region_path=region.path
    )
    return region


async def update_region(session: AsyncSession, principal: Principal, region: Region, data: RegionUpdate) -> Region:
    """Rename a node or change its code or residential type; a request that changes nothing records nothing."""
    policy.check_edit(principal, region)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(region, k) != v}
    if not changes:
        return region
    if changes.get("residential_type") is not None and (problem := rules.residential_type_error(region.level)):
        raise Unprocessable(problem, code="region_level_invalid")
    if "name" in changes and await _name_taken(session, region.parent_id, changes["name"], exclude=region.id):
        raise _duplicate(changes["name"])
    before = snapshot(region)
    for key, value in changes.items():
        setattr(region, key, value)
    region.updated_at = utcnow()
    session.add(region)
    await _flush_unique(session, region.name)
    await record(
        session,
        principal.actor,
        "region.update",
        "region",
        region.id,
        before=before,
        after=snapshot(region),
        region_path=region.path,
    )
    return region


def list_statement(
    principal: Principal, level: RegionLevel | None, parent_id: uuid.UUID | None, q: str | None
) -> Select:
    """The staff list query: the principal's subtree, filtered, in a stable order."""
    stmt = select(Region)
    scope = policy.read_scope(principal)
    if scope is not None:
        stmt = stmt.where(Region.path.startswith(scope))
    if level is not None:
        stmt = stmt.where(Region.level == level)
    if parent_id is not None:
        stmt = stmt.where(Region.parent_id == parent_id)
    if q:
        stmt = stmt.where(Region.name.icontains(q, autoescape=True))
    return stmt.order_by(Region.name, Region.id)


async def public_statement(session: AsyncSession, parent_id: uuid.UUID | None) -> Select:
    """Children of parent_id (districts when None) for anyone; 404 when the parent does not exist."""
    if parent_id is None:
        return select(Region).where(Region.parent_id.is_(None)).order_by(Region.name, Region.id)
    await get_region(session, parent_id)
    return select(Region).where(Region.parent_id == parent_id).order_by(Region.name, Region.id)


async def subtree(session: AsyncSession, root: Region, max_depth: int | None) -> RegionTreeNode:
    """The node and its descendants (down to max_depth levels), with community counts on streets."""
    stmt = select(Region).where(Region.path.startswith(root.path))
    if max_depth is not None:
        stmt = stmt.where(func.length(Region.path) <= rules.max_path_length(root.path, max_depth))
    nodes = (await session.scalars(stmt.order_by(Region.name, Region.id))).all()
    counts = (
        dict(
            (
                await session.execute(
                    select(Region.parent_id, func.count())
                    .where(Region.path.startswith(root.path), Region.level == RegionLevel.community)
                    .group_by(Region.parent_id)
                )
            ).all()
        )
        if root.level in (RegionLevel.district, RegionLevel.street)
        else {}
    )
    built = {
        n.id: RegionTreeNode(id=n.id, name=n.name, level=n.level, code=n.code, residential_type=n.residential_type)
        for n in nodes
    }
    for n in nodes:
        if n.level == RegionLevel.street:
            built[n.id].community_count = counts.get(n.id, 0)
        if n.id != root.id and n.parent_id in built:
            built[n.parent_id].children.append(built[n.id])
    if root.level == RegionLevel.district:
        built[root.id].community_count = sum(counts.values())
    return built[root.id]
