"""Append events to the chain inside the caller's transaction; verify the chain."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
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
    # Taking the head's row lock first orders concurrent appends: no two events share a parent.
    head = (await session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + 1)
        .returning(AuditChainHead.seq, AuditChainHead.hash)
    )).one()
    event = AuditEvent(
        id=uuid.uuid4(), seq=head.seq, occurred_at=utcnow(), actor_type=actor.type, actor_id=actor.id,
        actor_label=actor.label, action=action, entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id), region_path=region_path,
        before=_plain(before), after=_plain(after), request_id=current_request_id(),
        prev_hash=head.hash, hash="",
    )
    event.hash = event_hash(head.hash, hashed_content(event))
    session.add(event)
    await session.flush()
    await session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=event.hash))
    return event


async def verify(session: AsyncSession, batch: int = 5000) -> tuple[int, Break | None]:
    """Walk the whole chain in seq order; return how many events verified and the first break."""
    prev_hash, prev_seq, checked = GENESIS_HASH, 0, 0
    while True:
        rows = (await session.scalars(
            select(AuditEvent).where(AuditEvent.seq > prev_seq).order_by(AuditEvent.seq).limit(batch)
        )).all()
        if not rows:
            break
        broken = first_break(rows, prev_hash, prev_seq)
        if broken:
            return checked + sum(1 for r in rows if r.seq < broken.seq), broken
        checked += len(rows)
        prev_hash, prev_seq = rows[-1].hash, rows[-1].seq
    head = await session.get(AuditChainHead, 1)
    if head is not None and head.seq != prev_seq:
        return checked, Break(prev_seq + 1, "", f"chain head says {head.seq} events, found {prev_seq}")
    return checked, None
