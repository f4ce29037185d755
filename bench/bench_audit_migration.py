"""Benchmark: migration 0036 (audit_event partitioned by chain year) on a database holding a chain of many events.

Run: .venv/bin/python bench/bench_audit_migration.py [--admin-dsn DSN] [--database-url URL] [--events N] [--keep]
     [--quick]

Creates a throwaway PostgreSQL database (or takes an empty weishi_bench* one), migrates it to 0035, writes a sealed
chain of N events (default 500,000) spread over three years with real hashes by COPY, then times the upgrade to
head, a verification walk of the partitioned chain (it must pass), the downgrade to 0035 and the upgrade again.
The target: the upgrade of 500,000 events in under 60 s (the table is locked for writes meanwhile). --quick (CI):
3,000 events, every check, no time verdict.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling bench's helpers

from bench_finance_report import _async_url, _dsn, scratch_database, scratch_parser
from result import emit

from app.audit.models import GENESIS_HASH
from app.audit.rules import event_hash, hashed_content
from app.core.migrations import downgrade, upgrade

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


UP_TARGET_SECONDS = 60.0
QUICK_EVENTS = 3_000


async def main() -> int:
    parser = scratch_parser(__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--quick", action="store_true", help=f"CI: {QUICK_EVENTS:,} events, no time verdict")
    args = parser.parse_args()
    if args.quick:
        args.events = QUICK_EVENTS
    async with scratch_database(args, "weishi_bench_auditmig") as url:
        upgrade(_async_url(url), "0035")
        started = time.perf_counter()
        await seed(_dsn(url), args.events, datetime.now(UTC).year - 2)
        print(f"seeded {args.events:,} sealed events over three years in {time.perf_counter() - started:.1f} s")
        up = timed("0035 -> head (0036: partition by chain year)", upgrade, _async_url(url))
        started = time.perf_counter()
        checked, broken = await verify(url)
        walk = time.perf_counter() - started
        print(f"verify: {checked:,} events, {'ok' if broken is None else broken} in {walk:.1f} s")
        down = timed("head -> 0035 (plain table)", downgrade, _async_url(url), "0035")
        again = timed("0035 -> head again", upgrade, _async_url(url))
    problems = [f"verify: {broken}"] if broken is not None else []
    if checked != args.events:
        problems.append(f"verify walked {checked:,} events, expected {args.events:,}")
    return emit(
        "bench_audit_migration",
        {
            "0035 -> head": f"{up:.1f} s",
            "verify walk": f"{walk:.1f} s",
            "head -> 0035": f"{down:.1f} s",
            "0035 -> head again": f"{again:.1f} s",
        },
        f"{args.events:,} sealed audit events: partitioned by migration 0036 in < {UP_TARGET_SECONDS:.0f} s, "
        "the chain verified after it",
        None if args.quick else up < UP_TARGET_SECONDS,
        problems,
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
