"""Helpers for the audit tests: append events directly, count rows on a fresh session."""

from sqlalchemy import func, select

from app.audit import service as audit
from app.audit.models import AuditEvent

ACTOR = audit.Actor("user", "u-1", "tester")


async def append(app, n: int, *, per_transaction: int = 1, **fields) -> list[AuditEvent]:
    """n events through the service, committed per_transaction at a time."""
    events: list[AuditEvent] = []
    while len(events) < n:
        async with app.state.sessionmaker() as s:
            for _ in range(min(per_transaction, n - len(events))):
                events.append(await audit.record(s, ACTOR, fields.get("action", "thing.update"),
                                                 fields.get("entity_type", "thing"), fields.get("entity_id"),
                                                 after={"n": len(events)}, region_path=fields.get("region_path")))
            await s.commit()
    return events


async def count(app, model=AuditEvent, *where) -> int:
    """Rows of model (matching where), read on a fresh session."""
    async with app.state.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))
