"""Benchmark: a district-wide finance report over 600 communities, 10,000 projects, 200,000 ledger entries.

Run: .venv/bin/python bench/bench_finance_report.py [--admin-dsn DSN] [--database-url URL] [--runs N] [--keep]
     [--quick]

By default it creates a throwaway PostgreSQL database next to --admin-dsn's, migrates it, seeds it with
COPY, and drops it afterwards. Given --database-url it uses that database instead, and refuses to run
unless its name starts with weishi_bench and it is empty. The report is timed through HTTP in process
(auth, query, pivot, rendering), for
JSON by street and by community and for the CSV and XLSX exports; the target is a median under 1 s.
--quick (CI) does the same over 30 communities, 300 projects and 6,000 entries, twice each, and asserts no time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling module result.py

from result import emit

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.ruleset import ProgrammeRules

TARGET_SECONDS = 1.0
STREETS, COMMUNITIES_PER_STREET = 30, 20  # 600 communities
PROJECTS, ENTRIES = 10_000, 200_000
QUICK = {"streets": 3, "per_street": 10, "projects_n": 300, "entries_n": 6_000}
YEAR = 2025
SUBSIDY, COMMITMENT, INSTALMENT, INSTALMENTS, RETURN, TOP_UP = 3_000_000, 100_000, 5_000, 17, 15_000, 1_000


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _async_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


BENCH_PREFIX = "weishi_bench"


def refuse_unless_named_for_benchmarks(name: str) -> None:
    """Checked before anything connects: a bench writes and drops, so never into a database holding real data."""
    if not name.startswith(BENCH_PREFIX):
        sys.exit(
            f"refusing: the database {name!r} is not a benchmark database (its name must start with {BENCH_PREFIX!r})"
        )


async def _refuse_unless_empty(dsn: str) -> None:
    refuse_unless_named_for_benchmarks(make_url(dsn).database or "")
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    finally:
        await conn.close()
    if tables:
        sys.exit(f"refusing to run: the database has {tables} tables; give an empty one (or none, to create one)")


def _path(*ids: uuid.UUID) -> str:
    return "/" + "/".join(i.hex for i in ids) + "/"


def _day(rng: random.Random, start: int, end: int) -> date:
    return date(YEAR, 1, 1) + timedelta(days=rng.randint(start, end))


async def seed(
    dsn: str,
    rng: random.Random,
    streets: int = STREETS,
    per_street: int = COMMUNITIES_PER_STREET,
    projects_n: int = PROJECTS,
    entries_n: int = ENTRIES,
) -> dict:
    """Regions, an open programme, 600 pilots with balances, 10,000 projects and 200,000 entries, by COPY."""
    now = datetime.now(UTC)
    district = uuid.uuid4()
    regions = [(district, None, "district", "基准区", _path(district), now, now)]
    communities: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    for s in range(streets):
        street = uuid.uuid4()
        regions.append((street, district, "street", f"街道{s:02d}", _path(district, street), now, now))
        for c in range(per_street):
            cid = uuid.uuid4()
            path = _path(district, street, cid)
            regions.append((cid, street, "community", f"街道{s:02d}社区{c:02d}", path, now, now))
            communities.append((cid, street, path))
    programme = uuid.uuid4()
    pilots, balances, sources, projects, entries = [], [], [], [], []
    per_pilot = [
        projects_n // len(communities) + (1 if i < projects_n % len(communities) else 0)
        for i in range(len(communities))
    ]
    project_entries = projects_n * (2 + INSTALMENTS)  # commitment, instalments, one return
    top_ups = entries_n - project_entries - len(communities)
    categories, types = list(ProjectCategory), list(ProjectType)
    for i, ((cid, street, path), n_projects) in enumerate(zip(communities, per_pilot, strict=True)):
        pilot, subsidy, donation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        pilots.append((pilot, programme, cid, street, district, YEAR, path, now))
        sources.append(
            (
                subsidy,
                pilot,
                "district_subsidy",
                "区财政",
                "基准〔2025〕1号",
                date(YEAR, 1, 2),
                SUBSIDY,
                "district",
                now,
            )
        )
        sources.append((donation, pilot, "donation", "捐赠人", "收据", date(YEAR, 2, 1), None, "payer", now))
        entries.append((uuid.uuid4(), pilot, "funds_in", SUBSIDY, date(YEAR, 1, 10), subsidy, None, now, YEAR))
        n_top = top_ups // len(communities) + (1 if i < top_ups % len(communities) else 0)
        entries += [
            (uuid.uuid4(), pilot, "funds_in", TOP_UP, _day(rng, 10, 200), donation, None, now, YEAR)
            for _ in range(n_top)
        ]
        for _ in range(n_projects):
            project = uuid.uuid4()
            projects.append(
                (
                    project,
                    pilot,
                    f"项目{len(projects)}",
                    rng.choice(categories).value,
                    rng.choice(types).value,
                    COMMITMENT,
                    RETURN,
                    INSTALMENT * INSTALMENTS,
                    now,
                    now,
                )
            )
            entries.append(
                (uuid.uuid4(), pilot, "commitment", COMMITMENT, _day(rng, 30, 120), None, project, now, YEAR)
            )
            entries += [
                (uuid.uuid4(), pilot, "disbursement", INSTALMENT, _day(rng, 121, 300), None, project, now, YEAR)
                for _ in range(INSTALMENTS)
            ]
            entries.append((uuid.uuid4(), pilot, "return", RETURN, _day(rng, 301, 340), None, project, now, YEAR))
        funds = SUBSIDY + n_top * TOP_UP
        balances.append(
            (pilot, funds, n_projects * COMMITMENT, n_projects * RETURN, n_projects * INSTALMENT * INSTALMENTS, 0, now)
        )
    assert len(entries) == entries_n and len(projects) == projects_n, (len(entries), len(projects))

    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "region", records=regions, columns=["id", "parent_id", "level", "name", "path", "created_at", "updated_at"]
        )
        rules = json.dumps(ProgrammeRules().model_dump(mode="json"))
        await conn.execute(
            "INSERT INTO programme (id, district_id, region_path, year, name, status, starts_on, ends_on,"
            " closing_date, rules, created_at, updated_at, opened_at)"
            " VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7, $8, $9, $9, $9)",
            programme,
            district,
            _path(district),
            YEAR,
            "基准年度计划",
            date(YEAR, 1, 1),
            date(YEAR, 12, 31),
            rules,
            now,
        )
        await conn.copy_records_to_table(
            "pilot",
            records=pilots,
            columns=[
                "id",
                "programme_id",
                "community_id",
                "street_id",
                "district_id",
                "year",
                "region_path",
                "designated_at",
            ],
        )
        await conn.copy_records_to_table(
            "pilot_balance",
            records=balances,
            columns=[
                "pilot_id",
                "funds_in_fen",
                "committed_fen",
                "returned_fen",
                "disbursed_fen",
                "transferred_out_fen",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "fund_source",
            records=sources,
            columns=[
                "id",
                "pilot_id",
                "kind",
                "payer",
                "document_ref",
                "dated",
                "planned_fen",
                "returns_to",
                "created_at",
            ],
        )
        await conn.copy_records_to_table(
            "project_balance",
            records=projects,
            columns=[
                "project_id",
                "pilot_id",
                "title",
                "category",
                "project_type",
                "committed_fen",
                "returned_fen",
                "disbursed_fen",
                "created_at",
                "updated_at",
            ],
        )
        # The ledger is partitioned by programme year (migration 0030): the seeded year's partition first.
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS ledger_entry_y{YEAR} PARTITION OF ledger_entry FOR VALUES IN ({YEAR})"
        )
        await conn.copy_records_to_table(
            "ledger_entry",
            records=entries,
            columns=[
                "id",
                "pilot_id",
                "kind",
                "amount_fen",
                "entry_date",
                "fund_source_id",
                "project_id",
                "recorded_at",
                "programme_year",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {
        "district": district,
        "funds_in": sum(b[1] for b in balances),
        "communities": len(communities),
        "projects": len(projects),
        "entries": len(entries),
    }


async def _finance_headers(app, district: uuid.UUID) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        user = User(role=Role.finance, username="bench-finance", display_name="bench", region_id=district)
        session.add(user)
        await session.flush()
        tokens = await auth_service.start_session(session, app.state.settings, user)
        await session.commit()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def check(name: str, params: dict, response: httpx.Response, seeded: dict) -> list[str]:
    """What the report must say of the seeded ledger: every answer 200, the JSON totals equal to what was
    loaded (the pivot loses and double-counts nothing), one row per community when grouped by community."""
    if response.status_code != 200:
        return [f"{name}: HTTP {response.status_code} {response.text[:200]}"]
    if params.get("format") is not None:
        return [] if response.content else [f"{name}: an empty export"]
    body, n = response.json(), seeded["projects"]
    expected = {
        "funds_in_fen": seeded["funds_in"],
        "committed_fen": n * COMMITMENT,
        "disbursed_fen": n * INSTALMENT * INSTALMENTS,
        "returned_fen": n * RETURN,
    }
    totals = {key: body["totals"][key] for key in expected if body["totals"][key] is not None}
    problems = [
        f"{name}: totals {key} {value:,}, loaded {expected[key]:,}"
        for key, value in totals.items()
        if value != expected[key]
    ]
    if params["group_by"] == "community" and len(body["rows"]) != seeded["communities"]:
        problems.append(f"{name}: {len(body['rows'])} rows for {seeded['communities']} communities")
    return problems


async def measure(url: str, seeded: dict, runs: int) -> tuple[dict[str, list[float]], list[str]]:
    """Time each report variant runs times through the app, after one checked warm-up call each."""
    settings = Settings(
        environment="test",
        database_url=_async_url(url),
        _env_file=None,
        secret_key="bench-secret-key-0123456789-abcdefghijklmnop",
    )
    app = create_app(settings)
    timings: dict[str, list[float]] = {}
    problems: list[str] = []
    async with app.router.lifespan_context(app):
        headers = await _finance_headers(app, seeded["district"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
            variants = {
                "json by street": {"group_by": "street"},
                "json by community (a row each)": {"group_by": "community"},
                "json by category": {"group_by": "category"},
                "csv by community": {"group_by": "community", "format": "csv"},
                "xlsx by community": {"group_by": "community", "format": "xlsx"},
            }
            for name, params in variants.items():
                params = {**params, "as_of": f"{YEAR}-12-31"}
                first = await client.get("/api/v1/funds/reports", params=params, headers=headers)
                problems += check(name, params, first, seeded)
                samples = []
                for _ in range(runs):
                    start = time.perf_counter()
                    r = await client.get("/api/v1/funds/reports", params=params, headers=headers)
                    samples.append(time.perf_counter() - start)
                    if r.status_code != 200:
                        problems.append(f"{name}: HTTP {r.status_code} on a timed call")
                timings[name] = samples
    return timings, problems


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def scratch_parser(description: str) -> argparse.ArgumentParser:
    """The options every PostgreSQL bench shares: where to create its throwaway database, or which empty one to use."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--admin-dsn",
        default=os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a database to connect to while creating the throwaway one",
    )
    parser.add_argument(
        "--database-url",
        help="an existing EMPTY database whose name starts with weishi_bench, instead of a throwaway one",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the throwaway database")
    return parser


@contextlib.asynccontextmanager
async def scratch_database(args: argparse.Namespace, prefix: str) -> AsyncIterator[str]:
    """The URL of an empty database: --database-url (checked empty) or a throwaway one dropped afterwards."""
    if args.database_url:
        await _refuse_unless_empty(_dsn(args.database_url))
        yield args.database_url
        return
    created = f"{prefix}_{os.getpid()}"
    refuse_unless_named_for_benchmarks(created)
    admin = await asyncpg.connect(_dsn(args.admin_dsn))
    await admin.execute(f'CREATE DATABASE "{created}"')
    await admin.close()
    try:
        yield make_url(args.admin_dsn).set(database=created).render_as_string(hide_password=False)
    finally:
        if args.keep:
            print(f"kept database {created}")
        else:
            admin = await asyncpg.connect(_dsn(args.admin_dsn))
            await admin.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
            await admin.close()


async def main() -> int:
    """Create or check the database, migrate, seed, time, print, clean up."""
    parser = scratch_parser(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--quick", action="store_true", help="CI: a small district, 2 runs, no time verdict")
    args = parser.parse_args()
    size = QUICK if args.quick else {}
    runs = 2 if args.quick else args.runs

    async with scratch_database(args, "weishi_bench") as url:
        started = time.perf_counter()
        upgrade(_async_url(url))
        seeded = await seed(_dsn(url), random.Random(args.seed), **size)
        print(
            f"seeded {seeded['communities']} communities, {seeded['projects']:,} projects, {seeded['entries']:,} "
            f"ledger entries in {time.perf_counter() - started:.1f} s (migrate + COPY)"
        )
        timings, problems = await measure(url, seeded, runs)

    print(f"{'report (district-wide, HTTP in process)':42} {'median':>9} {'p95':>9} {'min':>9}  runs={runs}")
    worst = 0.0
    for name, samples in timings.items():
        median = statistics.median(samples)
        worst = max(worst, median)
        print(f"{name:42} {median * 1000:7.1f}ms {_p95(samples) * 1000:7.1f}ms {min(samples) * 1000:7.1f}ms")
    met = None if args.quick else worst < TARGET_SECONDS
    verdict = {None: "not timed (--quick)", True: "PASS", False: "FAIL"}[met]
    target = (
        f"{seeded['communities']} communities, {seeded['projects']:,} projects, {seeded['entries']:,} entries: "
        f"median < {TARGET_SECONDS:.0f} s for every variant"
    )
    print(f"target: {target} -> {verdict} (worst median {worst * 1000:.0f} ms)")
    for problem in problems:
        print(f"VERIFY FAILED: {problem}")
    figures = {
        name: f"median {statistics.median(v) * 1000:.1f} ms, p95 {_p95(v) * 1000:.1f} ms" for name, v in timings.items()
    }
    return emit("bench_finance_report", figures, target, met, problems)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
