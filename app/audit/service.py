"""Record events inside the caller's transaction (pending until sealed); verify the chain.

Verification starts from the anchor of the archived years (audit_chain_archive: the last seq and hash of the
years detached into the archive schema), or from genesis when none is archived; `from_genesis` walks the
archived years' tables too, where they are still in the archive schema (or restored into it from their dump)."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, MetaData, Select, Table, bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.models import GENESIS_HASH, AuditChainArchive, AuditChainHead, AuditEvent
from app.audit.rules import Break, canonical, first_break
from app.common.models import utcnow
from app.common.partitions import ARCHIVE_SCHEMA
from app.core.request_context import current_request_id


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a user, an API token, the public, or the system."""

    type: str
    id: str | None = None
    label: str | None = None


SYSTEM = Actor("system", None, "system")


def _plain(value: Any) -> Any:
    # Round-trip through canonical JSON so what is hashed is exactly what the database returns.
    return None if value is None else json.loads(canonical(value))


@dataclass(frozen=True)
class Event:
    """One event to append: what happened to which entity, with its state before and after."""

    action: str
    entity_type: str
    entity_id: Any = None
    before: Any = None
    after: Any = None
    region_path: str | None = None


_INSERT = insert(AuditEvent.__table__)


def pending_rows(actor: Actor, events: Sequence[Event], now: datetime | None = None) -> list[dict[str, Any]]:
    """The audit_event rows of events, pending (no seq, no hashes), in order, stamped now."""
    now, request_id = now or utcnow(), current_request_id()
    return [
        {
            "id": uuid.uuid4(),
            "seq": None,
            "chain_year": 0,
            "occurred_at": now,
            "ordinal": ordinal,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "action": spec.action,
            "entity_type": spec.entity_type,
            "entity_id": None if spec.entity_id is None else str(spec.entity_id),
            "region_path": spec.region_path,
            "before": _plain(spec.before),
            "after": _plain(spec.after),
            "request_id": request_id,
            "prev_hash": None,
            "hash": None,
        }
        for ordinal, spec in enumerate(events)
    ]


def pending_cte(prefix: str) -> CTE:
    """One pending event's INSERT as a CTE, for a PostgreSQL statement that writes the event with its change
    (one round trip): its values are the parameters of pending_params(row, prefix)."""
    table = _INSERT.table
    return (
        insert(table)
        .values({c.name: bindparam(prefix + c.name, type_=c.type) for c in table.columns})
        .cte(f"{prefix}event")
    )


def pending_params(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A row of pending_rows as the parameters of pending_cte(prefix)."""
    return {prefix + name: value for name, value in row.items()}


async def record_many(session: AsyncSession, actor: Actor, events: Sequence[Event]) -> list[uuid.UUID]:
    """Record events in order in the caller's transaction, pending: one INSERT, no lock (the sealer chains them).
    Returns their ids."""
    if not events:
        return []
    return await record_on(await session.connection(), actor, events)


async def record_on(conn: Any, actor: Actor, events: Sequence[Event]) -> list[uuid.UUID]:
    """record_many on a connection that runs Core statements (a session's, or app.common.compiled's executor)."""
    if not events:
        return []
    rows = pending_rows(actor, events)
    await store_pending(conn, rows)
    return [row["id"] for row in rows]


async def store_pending(conn: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of pending_rows (a Core insert: the ORM's bulk path costs more than the write itself)."""
    await conn.execute(_INSERT, list(rows))


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: Any = None,
    after: Any = None,
    region_path: str | None = None,
) -> uuid.UUID:
    """Record one event in the caller's transaction (it commits or rolls back with the change); returns its id."""
    [event_id] = await record_many(session, actor, [Event(action, entity_type, entity_id, before, after, region_path)])
    return event_id


@dataclass(frozen=True)
class Verification:
    """What a walk of the chain found: events verified, the first break, and the events before the walk's start
    (detached into the archive and not walked)."""

    checked: int
    broken: Break | None
    archived: int = 0


async def verify(session: AsyncSession, batch: int = 5000) -> tuple[int, Break | None]:
    """Walk the sealed chain from the archived years' anchor (or genesis): how many events verified, and the first
    break."""
    found = await walk(session, batch)
    return found.checked, found.broken


async def walk(session: AsyncSession, batch: int = 5000, *, from_genesis: bool = False) -> Verification:
    """Walk the sealed chain in seq order from the archived years' anchor (or genesis); return how many events
    verified, the first break and how many were archived before the start. With from_genesis, the archived
    years' tables are walked first (a year whose table is not in the archive schema is a break).

    Pending events (recorded, not yet sealed) are not part of the chain yet; seal first to include them."""
    # Read the head first and walk only up to it: events committed during the walk are not yet part
    # of the chain this call checks (each statement may see a newer snapshot), so they are no break.
    head_seq = await session.scalar(select(AuditChainHead.seq).where(AuditChainHead.id == 1))
    archives = (await session.scalars(select(AuditChainArchive).order_by(AuditChainArchive.last_seq))).all()
    prev_hash, prev_seq, checked, archived = GENESIS_HASH, 0, 0, 0
    if archives and not from_genesis:
        prev_hash, prev_seq = archives[-1].last_hash, archives[-1].last_seq
        archived = prev_seq
    sources = [_archived_table(a.year) for a in archives] if from_genesis else []
    for source in [*sources, AuditEvent.__table__]:
        if source is not AuditEvent.__table__ and not await _present(session, source):
            year = int(source.name.rsplit("_y", 1)[1])
            return Verification(
                checked, Break(prev_seq + 1, "", f"archived year {year} is not in {ARCHIVE_SCHEMA}: restore its dump")
            )
        while True:
            stmt = select(source).where(source.c.seq > prev_seq).order_by(source.c.seq).limit(batch)
            if head_seq is not None:
                stmt = stmt.where(source.c.seq <= head_seq)
            rows = (await session.execute(stmt)).all()
            if not rows:
                break
            broken = first_break(rows, prev_hash, prev_seq)
            if broken:
                return Verification(checked + sum(1 for r in rows if r.seq < broken.seq), broken, archived)
            checked += len(rows)
            prev_hash, prev_seq = rows[-1].hash, rows[-1].seq
    if head_seq is not None and head_seq != prev_seq:
        reason = f"chain head says {head_seq} events, found {prev_seq}"
        return Verification(checked, Break(prev_seq + 1, "", reason), archived)
    return Verification(checked, None, archived)


def _archived_table(year: int) -> Table:
    """An archived year's table (app.common.partitions names it), typed as audit_event so values read back alike."""
    return AuditEvent.__table__.to_metadata(MetaData(), schema=ARCHIVE_SCHEMA, name=f"audit_event_y{int(year)}")


async def _present(session: AsyncSession, table: Table) -> bool:
    return bool(await session.scalar(select(func.to_regclass(f"{table.schema}.{table.name}").is_not(None))))


async def pending_count(session: AsyncSession) -> int:
    """Events recorded but not yet sealed into the chain."""
    return await session.scalar(
        select(func.count()).select_from(AuditEvent).where(col(AuditEvent.chain_year) == 0, AuditEvent.seq.is_(None))
    )


def events_query(
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: str | None = None,
    action: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    region_id: uuid.UUID | None = None,
) -> Select:
    """Events matching every given filter, newest first (the caller narrows it to a region and pages it)."""
    stmt = select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq.desc())
    for column, value in (
        (AuditEvent.entity_type, entity_type),
        (AuditEvent.entity_id, entity_id),
        (AuditEvent.actor_id, actor_id),
        (AuditEvent.action, action),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if occurred_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= occurred_from)
    if occurred_to is not None:
        stmt = stmt.where(AuditEvent.occurred_at < occurred_to)
    if region_id is not None:
        # A region path lists every ancestor, so "within region X" is "X's id is on the path".
        stmt = stmt.where(AuditEvent.region_path.contains(f"/{region_id.hex}/", autoescape=True))
    return stmt
