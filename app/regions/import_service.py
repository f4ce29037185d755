"""CSV import of a district's whole tree: all rows checked first, then everything or nothing."""

import hashlib
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.csv_table import invalid_file
from app.common.models import utcnow
from app.core.errors import Conflict
from app.regions import policy, rules
from app.regions.csv_import import ParsedFile, parse
from app.regions.import_plan import ExistingNode, ImportPlan, plan_import
from app.regions.models import Region, RegionLevel
from app.regions.schemas import ImportResult


async def _existing(session: AsyncSession, district: Region | None) -> list[ExistingNode]:
    if district is None:
        return []
    rows = (
        await session.execute(
            select(Region.id, Region.parent_id, Region.level, Region.name, Region.code, Region.path).where(
                Region.path.startswith(district.path)
            )
        )
    ).all()
    return [ExistingNode(*row) for row in rows]


async def _apply(session: AsyncSession, plan: ImportPlan) -> list[dict[str, Any]]:
    """Insert the new nodes parents-first (ids and paths filled into the plan); fill in missing codes."""
    now = utcnow()
    values = []
    for node in plan.to_create:
        parent = plan.nodes[node.parent_ref] if node.parent_ref is not None else None
        node.id = uuid.uuid4()  # parents precede children, so a parent's id is already set
        node.path = rules.child_path(parent.path if parent else None, node.id)
        values.append(
            {
                "id": node.id,
                "parent_id": parent.id if parent else None,
                "level": node.level,
                "name": node.name,
                "code": node.code,
                "path": node.path,
                "created_at": now,
                "updated_at": now,
            }
        )
    codes = [{"id": str(n.id), "code": n.code} for n in plan.codes_to_set]
    try:
        if values:
            await session.execute(insert(Region), values)
        for node in plan.codes_to_set:
            await session.execute(
                update(Region).where(Region.id == node.id, Region.code.is_(None)).values(code=node.code, updated_at=now)
            )
    except IntegrityError as exc:
        # Another import or create won the race for a name; the request rolls back as a whole.
        raise Conflict(
            "The region tree changed while importing; nothing was imported. Try again.", code="region_import_conflict"
        ) from exc
    return codes


async def import_tree(
    session: AsyncSession, principal: Principal, data: bytes, filename: str | None, dry_run: bool
) -> ImportResult:
    """Check every line, then create what is missing (or, on a dry run, only say what would be)."""
    parsed = parse(data)
    name = parsed.district_name
    district = None
    if name is not None:
        district = await session.scalar(select(Region).where(Region.parent_id.is_(None), Region.name == name))
        policy.check_import(principal, district, name)
    if parsed.errors:
        raise invalid_file(parsed.errors)
    plan = plan_import(parsed.rows, await _existing(session, district))
    if plan.errors:
        raise invalid_file(plan.errors)
    created, existing = plan.counts()
    to_create, codes_to_set = plan.to_create, plan.codes_to_set
    digest = hashlib.sha256(data).hexdigest()
    root = next(n for n in plan.nodes if n.parent_ref is None)
    if not dry_run and (to_create or codes_to_set):
        codes = await _apply(session, plan)
        await record(
            session,
            principal.actor,
            "region.import",
            "region",
            root.id,
            after={
                "district": name,
                "filename": (filename or "")[:200],
                "file_sha256": digest,
                "encoding": parsed.encoding,
                "rows": len(parsed.rows),
                "created": _by_level(created),
                "existing": _by_level(existing),
                "codes_set": codes,
                # One event per import, not per node: a 3,000-building import would otherwise bury every
                # other entry of the trail. Listing the new ids keeps "which import made node X" answerable,
                # and the digest ties the event to the file the office keeps.
                "created_ids": [str(n.id) for n in to_create],
            },
            region_path=root.path,
        )
    return _result(root.id, name, dry_run, parsed, digest, created, existing, len(codes_to_set))


def _by_level(counts: Counter) -> dict[str, int]:
    return {level.value: counts.get(level, 0) for level in RegionLevel}


def _result(
    district_id: uuid.UUID | None,
    name: str,
    dry_run: bool,
    parsed: ParsedFile,
    digest: str,
    created: Counter,
    existing: Counter,
    codes_set: int,
) -> ImportResult:
    total_created, total_existing = sum(created.values()), sum(existing.values())
    nothing_new = total_created == 0 and codes_set == 0
    if nothing_new:
        message = f"Nothing new: all {total_existing} region(s) named in the file already exist."
    else:
        verb = "Would create" if dry_run else "Created"
        message = (
            f"{verb} {total_created} region(s); {total_existing} already existed; "
            f"{codes_set} missing code(s) filled in."
        )
    return ImportResult(
        district_id=district_id,
        district_name=name,
        dry_run=dry_run,
        rows=len(parsed.rows),
        encoding=parsed.encoding,
        file_sha256=digest,
        created=_by_level(created),
        existing=_by_level(existing),
        codes_set=codes_set,
        nothing_new=nothing_new,
        message=message,
    )
