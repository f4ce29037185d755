"""An app and a fresh, migrated database per test, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

Each backend gets one migrated template per test process. On SQLite every test gets a file copy of it.
On PostgreSQL every test process keeps one database copied from it and empties it before each test
(DELETE from every table, the template's rows put back, leftover connections ended, disabled triggers
enabled): a CREATE and DROP DATABASE per test cost 0.6-1.8 s, the emptying about 0.05 s. Tests that
change the schema itself ask for `@pytest.mark.fresh_database` and get their own copy. Either way tests
commit for real, exactly as the service does, and never see each other's rows.
"""

import asyncio
import gc
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import argon2
import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.auth import secrets as _secrets
from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from app.ops.logs import json_handler
from app.wiring import wire
from tests.pgbouncer import pgbouncer, pgbouncer_test  # noqa: F401 - a session fixture, and which tests use it

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = bool(os.environ.get("CI"))
MEMORY_DIR = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108 - Linux's tmpfs, if writable
# A test database's commits need not wait for the disk: the server stays up through every test, crash tests
# included (they kill the service, not PostgreSQL), so what they commit is there for the next statement.
NO_SYNC = 'ALTER DATABASE "{name}" SET synchronous_commit = off'
RUN_TAG = f"{os.getpid()}"
# The features' hooks into the foundation, as create_app registers them: some tests call services directly.
wire()
# argon2 at its production cost (64 MiB, 3 passes, 4 lanes) took half a second per password on CI's 2 shared
# cores, and one played demo year signs staff in 41 times. A stored hash carries its own parameters, so hashes
# made either way verify; the service itself (servers the tests start as processes) keeps the real cost.
_secrets._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)


# Every log line the suite produces goes, as the service writes it (JSON, masked), to a file per process in one
# folder; at the end the controller reads them all for full phone numbers and credentials (issue 33).
LOG_DIR_ENV = "WEISHI_TEST_LOG_DIR"
# A phone is not part of a longer ASCII word (request ids and UUIDs are hex and hold digit runs).
LEAKS = re.compile(
    r"(?<![0-9A-Za-z_*-])1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![0-9A-Za-z_])"
    r"|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]+|wst_[\w-]{8,}"
)


def pytest_configure(config) -> None:
    if not hasattr(config, "workerinput") and not os.environ.get(LOG_DIR_ENV):
        os.environ[LOG_DIR_ENV] = tempfile.mkdtemp(prefix="weishi-test-logs-")  # workers inherit it
    stream = open(Path(os.environ[LOG_DIR_ENV]) / f"{os.getpid()}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
    logging.getLogger().addHandler(json_handler(stream))
    logging.getLogger().setLevel(logging.INFO)


def pytest_sessionfinish(session, exitstatus) -> None:
    """The controller scans what every process logged; a phone number or a token anywhere fails the run."""
    if hasattr(session.config, "workerinput"):
        return
    folder = Path(os.environ[LOG_DIR_ENV])
    leaks, lines = [], 0
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                lines += 1
                if LEAKS.search(line):
                    leaks.append(line.strip()[:300])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        if reporter:
            reporter.write_line(
                f"log scan: {len(leaks)} of {lines} log lines hold a phone number or a token (all in {folder}):",
                red=True,
            )
            for line in leaks[:10]:
                reporter.write_line(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    if reporter:
        reporter.write_line(f"log scan: {lines} log lines, no phone number or token")
    shutil.rmtree(folder, ignore_errors=True)


# The longest tests (a minute or more each on CI's 2 cores), run first. Collected in file order, several of them
# came last and one worker ran them alone while the others had finished: the suite's tail. First, they start
# with everything else still queued, and the other workers steal what they have not reached.
LONGEST = (
    "tests/scenarios/test_whole_year.py",
    "tests/ops/test_backup_restore.py",
    "tests/bench/test_quick.py::test_the_bench_verifies_everything_in_quick_mode",
    "tests/test_serving.py",
    "tests/funds/test_race.py",
    "tests/notifications/test_worker_kill.py",
    "tests/test_access_matrix.py::test_access_matrix",
    "tests/reliability/test_crash_safety.py",
    "tests/fastlane/test_parity.py",
    "tests/test_cli.py",
)


def pytest_collection_modifyitems(session, config, items) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST))  # stable: file order otherwise


def pytest_collection_finish(session) -> None:
    """Keep the collector off what every test shares: modules, models, routes and the collected tests (frozen
    once they are all imported), and let it run less often. At the interpreter's default thresholds a test
    process spent about a sixth of its CPU time walking that heap again and again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _pg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql", database=database or u.database).render_as_string(hide_password=False)


async def _pg_exec(url: str, *sql: str) -> None:
    conn = await asyncpg.connect(_pg_dsn(url), timeout=5)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


def _run(coro):
    """Run a coroutine to completion from sync code, even when a loop is already running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        _run(_pg_exec(PG_URL, "SELECT 1"))
        return None
    except Exception as exc:  # any failure means: not reachable
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> str:
    """Name of a PostgreSQL database migrated to head, used as the template of each test's database."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    reason = _pg_available()
    if reason:
        if IN_CI:
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable in CI: {reason}")
        pytest.skip(f"PostgreSQL unreachable: {reason}")
    name = f"weishi_tpl_{RUN_TAG}"
    _run(_pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    upgrade(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    _run(_pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class ReusedDatabase:
    """A test process's PostgreSQL database and how to bring it back to the template's state."""

    url: str
    emptying: str  # one script: every table emptied, every sequence restarted
    rows: dict[str, tuple[list[str], list[tuple]]]  # the template's rows, table -> (columns, records)


async def _template_state(url: str) -> tuple[str, dict[str, tuple[list[str], list[tuple]]]]:
    conn = await asyncpg.connect(_pg_dsn(url), timeout=5)
    try:
        # Names from the catalog, quoted by PostgreSQL itself.
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        sequences = [
            r[0]
            for r in await conn.fetch("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")
        ]
        rows = {}
        for table in tables:
            records = await conn.fetch(f"SELECT * FROM {table}")  # noqa: S608 - a catalog name
            if records:
                rows[table] = (list(records[0].keys()), [tuple(r.values()) for r in records])
    finally:
        await conn.close()
    script = "; ".join(
        [f"DELETE FROM {t}" for t in tables]  # noqa: S608 - catalog names
        + [f"ALTER SEQUENCE {q} RESTART" for q in sequences]
    )
    return script, rows


@pytest.fixture(scope="session")
def pg_reused_database(pg_template) -> ReusedDatabase:
    """This test process's PostgreSQL database, copied from the template once."""
    name = f"weishi_w_{RUN_TAG}"
    _run(
        _pg_exec(
            PG_URL,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"',
            NO_SYNC.format(name=name),
        )
    )
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield ReusedDatabase(url, *_run(_template_state(url)))
    _run(_pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty(db: ReusedDatabase) -> None:
    """Back to the template's state, whatever the previous test left behind."""
    conn = await asyncpg.connect(_pg_dsn(db.url), timeout=5)
    try:
        # A server or pool an earlier test left running would hold locks (or rows mid-transaction).
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        async with conn.transaction():
            # As a replica: no triggers (the append-only guards) and no foreign-key checks, so any order works.
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(db.emptying)
            for table, (columns, records) in db.rows.items():
                await conn.copy_records_to_table(table, records=records, columns=columns)
        for table, trigger in await conn.fetch(
            "SELECT tgrelid::regclass::text, quote_ident(tgname) FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgenabled = 'D'"
        ):
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    finally:
        await conn.close()


BACKENDS = ["sqlite", "postgres"]


def pytest_generate_tests(metafunc) -> None:
    """Every test on SQLite and PostgreSQL; those PGBOUNCER_TESTS names also through PgBouncer ("pgbouncer")."""
    if "backend" in metafunc.fixturenames:
        through = pgbouncer_test(Path(str(metafunc.definition.path)), metafunc.definition.get_closest_marker)
        metafunc.parametrize("backend", [*BACKENDS, "pgbouncer"] if through else BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """Which database this test runs on: "sqlite" or "postgres" (PostgreSQL through PgBouncer included)."""
    if request.param != "sqlite" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only test")
    if request.param == "sqlite" and request.node.get_closest_marker("postgres_only"):
        pytest.skip("PostgreSQL-only test")
    return "postgres" if request.param == "pgbouncer" else request.param


def _route(request) -> str:
    """The backend parameter as given: "pgbouncer" when the test's PostgreSQL is reached through PgBouncer."""
    return request.node.callspec.params.get("backend", "") if hasattr(request.node, "callspec") else ""


@pytest.fixture
async def db_url(request, backend, tmp_path) -> AsyncIterator[str]:
    """A database at head holding nothing but what the migrations put there, for this test alone."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        # In memory where the machine offers it: every commit syncs the file (as it must in service), and
        # on disk those syncs were about a tenth of the SQLite tests' time.
        folder = Path(tempfile.mkdtemp(prefix="weishi-test-", dir=MEMORY_DIR)) if MEMORY_DIR else tmp_path
        path = folder / "test.db"
        shutil.copyfile(template, path)
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            if MEMORY_DIR:
                shutil.rmtree(folder, ignore_errors=True)
        return
    # Through PgBouncer: the same database, reached at the pooler's port (it forwards any database name).
    via = request.getfixturevalue("pgbouncer").url if _route(request) == "pgbouncer" else PG_URL
    if not request.node.get_closest_marker("fresh_database"):
        reused = request.getfixturevalue("pg_reused_database")
        await _empty(reused)
        yield make_url(via).set(database=make_url(reused.url).database).render_as_string(hide_password=False)
        return
    template = request.getfixturevalue("pg_template")
    name = f"weishi_t_{RUN_TAG}_{uuid.uuid4().hex[:10]}"
    await _pg_exec(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"', NO_SYNC.format(name=name))
    try:
        yield make_url(via).set(database=name).render_as_string(hide_password=False)
    finally:
        await _pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(request, db_url, tmp_path) -> Settings:
    """Settings of the app under test: its own database and upload folder. Audit events are sealed when the
    trail is read, not by the background sealer, so tests see the chain exactly as they left it."""
    return Settings(
        environment="test",
        database_url=db_url,
        upload_dir=str(tmp_path / "uploads"),
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        audit_seal_interval_seconds=0,
        board_page_cache_seconds=0,  # tests read a page right after changing it; tests/board/test_fast.py caches
        db_pooler="pgbouncer" if _route(request) == "pgbouncer" else "none",
        _env_file=None,
    )


@pytest.fixture
async def app(settings):
    """The application with its lifespan running (schema check included)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process, as a frontend would."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def session(app):
    """A database session on the app's database, for arranging and checking rows directly."""
    async with app.state.sessionmaker() as s:
        yield s


@pytest.fixture(autouse=True)
def _real_time_after_each_test():
    """A test that moves the service's clock (app/core/clock.py) leaves it at real time for the next."""
    yield
    from app.core import clock

    clock.reset()
