"""Append events to the chain inside the caller's transaction; verify the chain."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.audit.rules import Break, canonical, event_hash, first_break, hashed_content
from app.common.models import utcnow
from app.request_context import current_request_id


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


async def record_many(session: AsyncSession, actor: Actor, events: Sequence[Event]) -> list[AuditEvent]:
    """Append events in order in the caller's transaction: one head lock, one INSERT, one head update."""
    if not events:
        return []
    # Taking the head's row lock first orders concurrent appends: no two events share a parent.
    head = (await session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + len(events))
        .returning(AuditChainHead.seq, AuditChainHead.hash)
    )).one()
    now, request_id, prev_hash = utcnow(), current_request_id(), head.hash
    rows = []
    for seq, spec in enumerate(events, start=head.seq - len(events) + 1):
        event = AuditEvent(
            id=uuid.uuid4(), seq=seq, occurred_at=now, actor_type=actor.type, actor_id=actor.id,
            actor_label=actor.label, action=spec.action, entity_type=spec.entity_type,
            entity_id=None if spec.entity_id is None else str(spec.entity_id), region_path=spec.region_path,
            before=_plain(spec.before), after=_plain(spec.after), request_id=request_id, prev_hash=prev_hash, hash="",
        )
        event.hash = prev_hash = event_hash(prev_hash, hashed_content(event))
        rows.append(event)
    await session.execute(insert(AuditEvent), [r.model_dump() for r in rows])
    await session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=prev_hash))
    return rows


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
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with the change)."""
    [event] = await record_many(session, actor, [Event(action, entity_type, entity_id, before, after, region_path)])
    return event


async def verify(session: AsyncSession, batch: int = 5000) -> tuple[int, Break | None]:
    """Walk the whole chain in seq order; return how many events verified and the first break."""
    # Read the head first and walk only up to it: events committed during the walk are not yet part
    # of the chain this call checks (each statement may see a newer snapshot), so they are no break.
    head_seq = await session.scalar(select(AuditChainHead.seq).where(AuditChainHead.id == 1))
    prev_hash, prev_seq, checked = GENESIS_HASH, 0, 0
    while True:
        stmt = select(AuditEvent).where(AuditEvent.seq > prev_seq).order_by(AuditEvent.seq).limit(batch)
        if head_seq is not None:
            stmt = stmt.where(AuditEvent.seq <= head_seq)
        rows = (await session.scalars(stmt)).all()
        if not rows:
            break
        broken = first_break(rows, prev_hash, prev_seq)
        if broken:
            return checked + sum(1 for r in rows if r.seq < broken.seq), broken
        checked += len(rows)
        prev_hash, prev_seq = rows[-1].hash, rows[-1].seq
    if head_seq is not None and head_seq != prev_seq:
        return checked, Break(prev_seq + 1, "", f"chain head says {head_seq} events, found {prev_seq}")
    return checked, None


def events_query(
    *, entity_type: str | None = None, entity_id: str | None = None, actor_id: str | None = None,
    action: str | None = None, occurred_from: datetime | None = None, occurred_to: datetime | None = None,
    region_id: uuid.UUID | None = None,
) -> Select:
    """Events matching every given filter, newest first (the caller narrows it to a region and pages it)."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
    for column, value in ((AuditEvent.entity_type, entity_type), (AuditEvent.entity_id, entity_id),
                          (AuditEvent.actor_id, actor_id), (AuditEvent.action, action)):
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
