"""Sealing: link pending audit events into the hash chain, in batches, under the chain head's row lock.

Writers only insert pending events, so concurrent audited writes never queue behind one lock (with the
chain linked inside each write, the head's row lock was held across a commit's WAL flush and capped
every audited write in the city at one at a time). One sealer at a time holds the head: it takes the
oldest pending events, gives each the next seq and its hashes, and moves the head, in one transaction.
Each worker runs `run_sealer` in the background; readers of the trail seal first, so what they read is
chained. An event is acknowledged as part of its change's commit; sealing later cannot lose it.
"""

import asyncio
import logging
from types import SimpleNamespace

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditChainHead, AuditEvent
from app.audit.rules import HASHED_FIELDS, event_hash, hashed_content

log = logging.getLogger("weishi.audit")
BATCH = 2000
# Plain rows, not ORM objects: linking must not leave dirty instances for the commit to flush again.
_PENDING = (select(*(getattr(AuditEvent, name) for name in HASHED_FIELDS)).where(AuditEvent.seq.is_(None))
            .order_by(AuditEvent.occurred_at, AuditEvent.ordinal, AuditEvent.id))
_ANY_PENDING = select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)
# A no-op update as the first statement: it takes the head's row lock on PostgreSQL and the write lock on
# SQLite, so two sealers never link the same events.
_LOCK_HEAD = (update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=AuditChainHead.seq)
              .returning(AuditChainHead.seq, AuditChainHead.hash))
_LINK = (update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == bindparam("event_id"))
         .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")))

_LINK_MANY = text("UPDATE audit_event SET seq = link.seq, prev_hash = link.prev_hash, hash = link.hash "
                  "FROM unnest(CAST(:ids AS uuid[]), CAST(:seqs AS bigint[]), CAST(:prevs AS varchar[]), "
                  "CAST(:hashes AS varchar[])) AS link(id, seq, prev_hash, hash) WHERE audit_event.id = link.id")


async def seal_batch(session: AsyncSession, limit: int = BATCH) -> int:
    """Link up to limit pending events (oldest first) in the session's transaction; the caller commits."""
    head = (await session.execute(_LOCK_HEAD)).one()
    pending = (await session.execute(_PENDING.limit(limit))).all()
    if not pending:
        return 0
    seq, prev_hash, links = head.seq, head.hash, []
    for row in pending:
        seq += 1
        event = SimpleNamespace(**{**row._asdict(), "seq": seq})
        link = {"event_id": row.id, "new_seq": seq, "new_prev": prev_hash}
        prev_hash = link["new_hash"] = event_hash(prev_hash, hashed_content(event))
        links.append(link)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LINK_MANY, {"ids": [link["event_id"] for link in links],
                                           "seqs": [link["new_seq"] for link in links],
                                           "prevs": [link["new_prev"] for link in links],
                                           "hashes": [link["new_hash"] for link in links]})
    else:
        await session.execute(_LINK, links)
    await session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq, hash=prev_hash))
    return len(pending)


async def seal_pending(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Seal every event committed before this call, a batch per transaction; returns how many."""
    sealed = 0
    async with sessionmaker() as session:
        if await session.scalar(_ANY_PENDING) is None:
            return 0
        await session.rollback()
        while True:
            count = await seal_batch(session)
            await session.commit()
            sealed += count
            if count < BATCH:
                return sealed


async def run_sealer(sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Seal every interval seconds until cancelled; a failed round (database away) is logged and retried."""
    while True:
        try:
            await seal_pending(sessionmaker)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("audit sealing failed, retrying in %.1f s: %s: %s", interval, type(exc).__name__, exc)
        await asyncio.sleep(interval)
