"""Sealing: link pending audit events into the hash chain, in batches, under the chain head's row lock.

Writers only insert pending events, so concurrent audited writes never queue behind one lock (with the
chain linked inside each write, the head's row lock was held across a commit's WAL flush and capped
every audited write in the city at one at a time). One sealer at a time holds the head: it takes the
oldest pending events, gives each the next seq and its hashes, and moves the head, in one transaction.
Each worker runs `run_sealer` in the background; readers of the trail seal first, so what they read is
chained. An event is acknowledged as part of its change's commit; sealing later cannot lose it.

One algorithm on both backends (`seal_on`): the same Core statements, run on PostgreSQL on the pooled
connection's asyncpg connection, compiled once (app.common.compiled): through the ORM a round cost some 7 ms of
CPU with nothing to seal and 11 ms with the 55 events a worker gathers in 0.05 s at 1,100 ballots a second.
Only the links are stored differently: one UPDATE ... FROM unnest on PostgreSQL, one UPDATE per event on SQLite.

Linking gives each event its chain year (rules.chain_year), the partition key on PostgreSQL: the UPDATE moves the
row from the pending partition (year 0) to its year's, which PostgreSQL does as a delete and an insert; the
append-only guard lets exactly that delete through and checks, after the statement, that the event is in the chain
(migration 0036). Every statement names chain year 0, so only the pending partition is searched.
"""

import asyncio
import logging
import time
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BigInteger, SmallInteger, String, Uuid, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.audit.models import AuditChainHead, AuditEvent
from app.audit.rules import HASHED_FIELDS, chain_year, event_hash, hashed_content
from app.common import partitions
from app.common.compiled import autocommit, transaction
from app.core import clock

log = logging.getLogger("weishi.audit")
BATCH = 2000
AHEAD_EVERY = 3600.0  # seconds between checks that this year's and next year's partitions exist
# Plain rows, not ORM objects: linking must not leave dirty instances for the commit to flush again.
_PENDING = (
    select(*(getattr(AuditEvent, name) for name in HASHED_FIELDS))
    .where(col(AuditEvent.chain_year) == 0, AuditEvent.seq.is_(None))
    .order_by(AuditEvent.occurred_at, AuditEvent.ordinal, AuditEvent.id)
    .limit(bindparam("batch"))
)
_ANY_PENDING = select(AuditEvent.id).where(col(AuditEvent.chain_year) == 0, AuditEvent.seq.is_(None)).limit(1)
# A no-op update as the first statement: it takes the head's row lock on PostgreSQL and the write lock on
# SQLite, so two sealers never link the same events. The pending events are read by a statement of their own,
# after the lock is held: one that waited for the lock inside a statement would still see the events its
# predecessor just linked as pending (a statement's snapshot is taken when it starts).
_LOCK_HEAD = (
    update(AuditChainHead)
    .where(AuditChainHead.id == 1)
    .values(seq=AuditChainHead.seq)
    .returning(AuditChainHead.seq, AuditChainHead.hash, AuditChainHead.year)
)
_EVENTS: Any = cast(Any, AuditEvent).__table__
_LINK = (
    update(_EVENTS)
    .where(_EVENTS.c.chain_year == 0, _EVENTS.c.id == bindparam("event_id"))
    .values(
        seq=bindparam("new_seq"),
        prev_hash=bindparam("new_prev"),
        hash=bindparam("new_hash"),
        chain_year=bindparam("new_year"),
    )
)
# On PostgreSQL a batch's links in one statement (UPDATE ... FROM unnest): one UPDATE per event (executemany, as
# on SQLite) cost about 0.4 ms of PostgreSQL each under load, more than the cast that recorded the event.
_LINKS = (
    func.unnest(
        *(
            bindparam(name, type_=ARRAY(type_))
            for name, type_ in (
                ("ids", Uuid()),
                ("seqs", BigInteger()),
                ("prevs", String()),
                ("hashes", String()),
                ("years", SmallInteger()),
            )
        )
    )
    .table_valued("id", "seq", "prev_hash", "hash", "chain_year")
    .render_derived(name="link")
)
_LINK_ALL = (
    update(_EVENTS)
    .where(_EVENTS.c.chain_year == 0, _EVENTS.c.id == _LINKS.c.id)
    .values(seq=_LINKS.c.seq, prev_hash=_LINKS.c.prev_hash, hash=_LINKS.c.hash, chain_year=_LINKS.c.chain_year)
)
_MOVE_HEAD = (
    update(AuditChainHead)
    .where(AuditChainHead.id == 1)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"), year=bindparam("head_year"))
)


def links_after(head_seq: int, head_hash: str, pending, head_year: int = 0) -> list[dict]:
    """The links of pending events (rows with the hashed fields but seq, oldest first) after the head, each
    with its chain year."""
    seq, prev_hash, year, links = head_seq, head_hash, head_year, []
    for row in pending:
        seq += 1
        year = chain_year(year, row["occurred_at"])
        event = SimpleNamespace(**{**row, "seq": seq})
        link = {"event_id": row["id"], "new_seq": seq, "new_prev": prev_hash, "new_year": year}
        prev_hash = link["new_hash"] = event_hash(prev_hash, hashed_content(event))
        links.append(link)
    return links


async def seal_on(conn: Any, limit: int = BATCH) -> int:
    """Link up to limit pending events (oldest first) in conn's transaction; the caller commits. `conn` runs
    Core statements: a session's connection, or on PostgreSQL app.common.compiled's executor (the same
    statements compiled once for asyncpg: through the ORM a round cost some 7 ms of CPU with nothing to seal)."""
    head = (await conn.execute(_LOCK_HEAD)).one()
    pending = (await conn.execute(_PENDING, {"batch": limit})).mappings().all()
    if not pending:
        return 0
    links = links_after(head.seq, head.hash, pending, head.year)
    if conn.dialect.name == "postgresql":
        await conn.execute(
            _LINK_ALL,
            {
                "ids": [x["event_id"] for x in links],
                "seqs": [x["new_seq"] for x in links],
                "prevs": [x["new_prev"] for x in links],
                "hashes": [x["new_hash"] for x in links],
                "years": [x["new_year"] for x in links],
            },
        )
    else:
        await conn.execute(_LINK, links)
    last = links[-1]
    await conn.execute(
        _MOVE_HEAD, {"head_seq": last["new_seq"], "head_hash": last["new_hash"], "head_year": last["new_year"]}
    )
    return len(pending)


async def seal_batch(session: AsyncSession, limit: int = BATCH) -> int:
    """Link up to limit pending events (oldest first) in the session's transaction; the caller commits."""
    return await seal_on(await session.connection(), limit)


async def seal_pending(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Seal every event committed before this call, a batch per transaction; returns how many."""
    engine = sessionmaker.kw["bind"]
    async with autocommit(engine) as conn:
        if (await conn.execute(_ANY_PENDING)).first() is None:
            return 0
    sealed = 0
    while True:
        async with transaction(engine) as conn:
            count = await seal_on(conn)
        sealed += count
        if count < BATCH:
            return sealed


async def ensure_partitions_ahead(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    """Make the year partitions this year and the next need, where missing (PostgreSQL; nothing on SQLite): an
    event is given the year it occurred in, so on 1 January the sealer needs the new year's partition even if
    nobody ran `weishi migrate` or created that year's programme during the last one."""
    async with sessionmaker() as session:
        conn = await session.connection()
        if not await partitions.partitioned(conn):
            return []
        made = await partitions.ensure(conn, await partitions.years_ahead(conn, clock.today()))
        await session.commit()
    if made:
        log.info("made partitions %s", ", ".join(made))
    return made


async def run_sealer(sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Seal every interval seconds until cancelled, and make next year's partitions ahead once an hour; a failed
    round (database away) is logged and retried, and a failure to make partitions does not stop sealing."""
    ahead_due = 0.0
    while True:
        if time.monotonic() >= ahead_due:
            ahead_due = time.monotonic() + AHEAD_EVERY
            try:
                await ensure_partitions_ahead(sessionmaker)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("making year partitions ahead failed, retrying in an hour: %s: %s", type(exc).__name__, exc)
        try:
            await seal_pending(sessionmaker)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("audit sealing failed, retrying in %.1f s: %s: %s", interval, type(exc).__name__, exc)
        await asyncio.sleep(interval)
