"""Benchmark: migration 0036 (audit_event partitioned by chain year) on a database holding a chain of many events.

Run: .venv/bin/python bench/bench_audit_migration.py [--admin-dsn DSN] [--database-url URL] [--events N] [--keep]

Creates a throwaway PostgreSQL database (or takes an empty weishi_bench* one), migrates it to 0035, writes a sealed
chain of N events (default 500,000) spread over three years with real hashes by COPY, then times the upgrade to
head, a verification walk of the partitioned chain (it must pass), the downgrade to 0035 and the upgrade again.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg

from app.audit.models import GENESIS_HASH
from app.audit.rules import event_hash, hashed_content
from app.core.migrations import downgrade, upgrade
from bench.bench_finance_report import _async_url, _dsn, scratch_database, scratch_parser

COLUMNS = (
    "id", "seq", "occurred_at", "actor_type", "actor_id", "actor_label", "action", "entity_type", "entity_id",
    "region_path", "before", "after", "request_id", "ordinal", "prev_hash", "hash",
)  # fmt: skip


def chain(n: int, first_year: int) -> tuple[list[tuple], str]:
    """n sealed events, evenly over three years from first_year, in seq order; and the last hash."""
    start = datetime(first_year, 1, 1, tzinfo=UTC) + timedelta(days=1)
    step = (datetime(first_year + 3, 1, 1, tzinfo=UTC) - start) / n
    prev, rows = GENESIS_HASH, []
    for seq in range(1, n + 1):
        event = SimpleNamespace(
            id=uuid.uuid4(), seq=seq, occurred_at=(start + step * seq).replace(microsecond=0), actor_type="user",
            actor_id="u-1", actor_label="居民0001", action="ballot.cast", entity_type="voting_round",
            entity_id=str(seq % 97), region_path=None, before=None, after={"n": seq}, request_id=None,
        )  # fmt: skip
        digest = event_hash(prev, hashed_content(event))
        rows.append((*(getattr(event, c) for c in COLUMNS[:10]), None, json.dumps(event.after), None, 0, prev, digest))
        prev = digest
    return rows, prev


async def seed(dsn: str, n: int, first_year: int) -> None:
    rows, last = chain(n, first_year)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("audit_event", records=rows, columns=list(COLUMNS))
        await conn.execute("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1", n, last)
        await conn.execute("ANALYZE audit_event")
    finally:
        await conn.close()


async def verify(url: str) -> tuple[int, object]:
    from app.audit import service
    from app.core.config import Settings
    from app.core.db import make_engine, make_sessionmaker

    engine = make_engine(Settings(database_url=_async_url(url)))
    try:
        async with make_sessionmaker(engine)() as session:
            return await service.verify(session)
    finally:
        await engine.dispose()


def timed(label: str, fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    took = time.perf_counter() - started
    print(f"{label}: {took:.1f} s")
    return took


async def main() -> int:
    parser = scratch_parser(__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    args = parser.parse_args()
    async with scratch_database(args, "weishi_bench_auditmig") as url:
        upgrade(_async_url(url), "0035")
        started = time.perf_counter()
        await seed(_dsn(url), args.events, datetime.now(UTC).year - 2)
        print(f"seeded {args.events:,} sealed events over three years in {time.perf_counter() - started:.1f} s")
        timed("0035 -> head (0036: partition by chain year)", upgrade, _async_url(url))
        started = time.perf_counter()
        checked, broken = await verify(url)
        print(
            f"verify: {checked:,} events, {'ok' if broken is None else broken} in {time.perf_counter() - started:.1f} s"
        )
        timed("head -> 0035 (plain table)", downgrade, _async_url(url), "0035")
        timed("0035 -> head again", upgrade, _async_url(url))
        return 0 if broken is None and checked == args.events else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
