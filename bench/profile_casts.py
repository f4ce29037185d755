"""Where a first ballot and a change of ballot spend their time: the service in process, on PostgreSQL.

Run: .venv/bin/python bench/profile_casts.py [--residents N] [--voters N] [--concurrency C] [--admin-dsn DSN]
     [--quick]

It seeds a small city of bench/seed_scale.py into weishi_bench_profile_<pid>, builds the app as a worker does
(production settings but the sealer), and sends every voter's first ballot, then every voter's change, C at a
time through httpx's ASGI transport. For each phase it prints the requests' round trips (statements run through
app.common.compiled's Driver, executemany counted once), how long each statement took from send to answer (the
server's time, the wire and this loop's wait), and cProfile's busiest functions (own time). The database is
dropped at the end. A profiling aid with no target; it checks that every cast was accepted (201) and that its
statements were counted, so it cannot silently profile refusals. --quick (CI): 2,000 residents, 400 voters.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from bench_finance_report import _dsn  # noqa: E402
from result import emit  # noqa: E402
from seed_scale import seed, voter_tokens  # noqa: E402

from app.common import compiled  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402

STATS: dict[str, list[float]] = defaultdict(list)
_execute = compiled.Driver.execute


async def _timed(self, statement, params=None):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    try:
        return await _execute(self, statement, params)
    finally:
        sql = compiled.compiled(
            statement, frozenset((params[0] if isinstance(params, list) and params else params) or ())
        ).sql
        STATS[" ".join(sql.split())[:90]].append(time.perf_counter() - started)


async def phase(
    name: str, client: httpx.AsyncClient, tokens: list[tuple[str, str]], concurrency: int
) -> tuple[dict[int, int], float]:
    """Send the casts; print where they went; return their statuses and round trips per request."""
    STATS.clear()
    gate = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = defaultdict(int)

    async def one(token: str, round_id: str) -> None:
        async with gate:
            answer = await client.post(
                f"/api/v1/voting/rounds/{round_id}/ballots",
                json={"choices": [1, 2]},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses[answer.status_code] += 1

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    await asyncio.gather(*(one(t, r) for t, r in tokens))
    profile.disable()
    spent = time.perf_counter() - started
    n = len(tokens)
    trips = sum(len(v) for v in STATS.values())
    print(f"\n== {name}: {n} requests in {spent:.1f} s ({n / spent:.0f}/s in one process), statuses {dict(statuses)}")
    print(f"round trips per request: {trips / n:.2f}")
    for sql, times in sorted(STATS.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(times) / n:5.2f}/req  {1000 * sum(times) / len(times):7.2f} ms each  {sql}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
    print("\n".join(out.getvalue().splitlines()[6:40]))
    return dict(statuses), trips / n


async def run(args: argparse.Namespace) -> int:
    name = f"weishi_bench_profile_{os.getpid()}"
    admin = await asyncpg.connect(_dsn(args.admin_dsn))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(args.admin_dsn).set(drivername="postgresql+asyncpg", database=name)
    url_text = url.render_as_string(hide_password=False)
    secret = secrets.token_urlsafe(48)
    problems: list[str] = []
    figures: dict[str, str] = {}
    try:
        city, _ = await seed(url_text, secret, args.residents, args.voters, checkpoint=False)
        settings = Settings(
            secret_key=secret, database_url=url_text, audit_seal_interval_seconds=0, log_level="WARNING"
        )
        tokens = voter_tokens(settings, city)
        compiled.Driver.execute = _timed  # type: ignore[method-assign]
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60) as client:
                warm = len(tokens) // 10
                await phase("warm-up (first ballots)", client, tokens[:warm], args.concurrency)
                for label in ("first ballot", "change of ballot"):
                    statuses, trips = await phase(label, client, tokens[warm:], args.concurrency)
                    figures[f"{label}: round trips per request"] = f"{trips:.2f}"
                    if statuses != {201: len(tokens) - warm}:
                        problems.append(f"{label}: statuses {statuses}, expected every one 201")
                    if trips <= 0:
                        problems.append(f"{label}: no statement counted (the Driver is not what the casts use)")
    finally:
        admin = await asyncpg.connect(_dsn(args.admin_dsn))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return emit("profile_casts", figures, "none (a profiling aid)", None, problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-dsn", default=os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--voters", type=int, default=3_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="CI: 2,000 residents, 400 voters, every check")
    args = parser.parse_args()
    if args.quick:
        args.residents, args.voters = 2_000, 400
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
