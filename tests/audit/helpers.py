"""Helpers for the audit tests: append events directly, race writers against sealers, count rows on a fresh
session."""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.audit.sealer import seal_pending

ACTOR = audit.Actor("user", "u-1", "tester")


async def append(app, n: int, *, per_transaction: int = 1, seal: bool = True, **fields) -> list[AuditEvent]:
    """n events through the service, committed per_transaction at a time, then sealed into the chain; the
    stored rows, in the order recorded."""
    events: list = []
    while len(events) < n:
        async with app.state.sessionmaker() as s:
            for _ in range(min(per_transaction, n - len(events))):
                events.append(
                    await audit.record(
                        s,
                        ACTOR,
                        fields.get("action", "thing.update"),
                        fields.get("entity_type", "thing"),
                        fields.get("entity_id"),
                        after={"n": len(events)},
                        region_path=fields.get("region_path"),
                    )
                )
            await s.commit()
    if seal:
        await seal_pending(app.state.sessionmaker)
    async with app.state.sessionmaker() as s:
        stored = {e.id: e for e in (await s.scalars(select(AuditEvent).where(AuditEvent.id.in_(events)))).all()}
    return [stored[event_id] for event_id in events]


async def count(app, model=AuditEvent, *where) -> int:
    """Rows of model (matching where), read on a fresh session."""
    async with app.state.sessionmaker() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def race_sealers(app, writers: int, write: Callable[[int], Awaitable[None]], sealers: int = 4) -> int:
    """write(0..writers-1) all at once beside `sealers` sealers each sealing 20 times, then a last seal; how many
    events the sealers linked in all."""

    async def sealer() -> int:
        sealed = 0
        for _ in range(20):
            sealed += await seal_pending(app.state.sessionmaker)
            await asyncio.sleep(0.005)
        return sealed

    results = await asyncio.gather(*(write(i) for i in range(writers)), *(sealer() for _ in range(sealers)))
    return sum(results[writers:]) + await seal_pending(app.state.sessionmaker)
