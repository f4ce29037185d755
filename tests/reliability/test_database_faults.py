"""Database faults: PostgreSQL gone, hanging or dropping connections gets quick 503 problems, and recovery.

The app reaches the test's database through a TCP proxy the test controls (tests/reliability/proxy.py),
so the shared PostgreSQL server is never stopped. The database timeout is set to 1 s: connecting waits
at most that, a statement at most twice that (app/core/db.py).
"""

import asyncio
import time

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core.db import database_unavailable
from app.main import create_app
from tests.conftest import _pg_dsn
from tests.reliability.proxy import DatabaseProxy

pytestmark = pytest.mark.postgres_only
TIMEOUT = 1.0
# Worst case, a hanging database: the pooled connection's ping waits a statement timeout (2 s), the
# reconnect attempts wait their connect timeout; measured 4.0 s with a 1 s timeout. Anything slower is a
# hang. The slack is for a loaded 2-core CI machine.
WORST = 4 * TIMEOUT + 2.0
PUBLIC = "/api/v1/public/notices"
LOGIN = ("POST", "/api/v1/auth/login", {"json": {"username": "nobody", "password": "not-the-password"}})
CALLS = [("GET", PUBLIC, {}), LOGIN, ("GET", "/readyz", {})]


@pytest.fixture
async def proxy(db_url):
    url = make_url(db_url)
    p = await DatabaseProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield p
    await p.close()


@pytest.fixture
async def faulty(settings, db_url, proxy):
    """A client of the app whose database sits behind the proxy, with a 1 s database timeout."""
    url = make_url(db_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(settings.model_copy(update={"database_url": url, "db_timeout_seconds": TIMEOUT}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def call(client, method, url, kw):
    started = time.monotonic()
    r = await client.request(method, url, **kw)
    return r, time.monotonic() - started


async def assert_unavailable(client):
    """Every kind of request (a read, a write, the readiness probe) gets a quick 503 problem."""
    for method, url, kw in CALLS:
        r, took = await call(client, method, url, kw)
        assert r.status_code == 503, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "database_unavailable"
        assert took < WORST, f"{method} {url} took {took:.2f} s"
        if url != "/readyz":
            assert int(r.headers["retry-after"]) >= 1


async def assert_working(client):
    """The service answers normally again, without a restart."""
    assert (await client.get(PUBLIC)).status_code == 200
    r = await client.post(LOGIN[1], **LOGIN[2])
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials", r.text
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


async def test_database_stopped_gets_503_and_the_service_recovers(faulty, proxy):
    await assert_working(faulty)
    await proxy.down()  # nothing listens any more; open connections are cut
    await assert_unavailable(faulty)
    await proxy.up()
    await assert_working(faulty)


async def test_database_hanging_gets_503_within_the_timeout_and_recovers(faulty, proxy):
    await assert_working(faulty)
    proxy.freeze()  # open connections stop answering, new ones are accepted and never answered
    await assert_unavailable(faulty)
    await proxy.up()
    await assert_working(faulty)


async def test_dropped_connections_are_replaced_without_an_error(faulty, proxy):
    await assert_working(faulty)
    proxy.cut()  # every pooled connection dies at once (network blip, database restart)
    for _ in range(3):
        await assert_working(faulty)


async def test_backends_terminated_by_postgres_are_replaced(faulty, db_url):
    await assert_working(faulty)
    name = make_url(db_url).database
    conn = await asyncpg.connect(_pg_dsn(db_url, "postgres"))
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name = 'weishi'",
            name,
        )
        # Termination is a signal: wait until the backends are gone (a request racing a backend's exit
        # mid-statement gets a 503 and may retry; this test is about the pool replacing dead connections).
        for _ in range(100):
            if not await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'weishi'", name
            ):
                break
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    assert killed >= 1
    for _ in range(3):
        await assert_working(faulty)


def test_what_counts_as_the_database_being_unavailable():
    import sqlite3
    from errno import ECONNREFUSED, ENOSPC

    from sqlalchemy import exc

    assert database_unavailable(ConnectionRefusedError(ECONNREFUSED, "Connect call failed"))
    assert database_unavailable(OSError(ECONNREFUSED, "Multiple exceptions"))
    assert database_unavailable(TimeoutError())
    assert database_unavailable(exc.TimeoutError("QueuePool limit reached"))
    locked = sqlite3.OperationalError("database is locked")
    assert database_unavailable(exc.OperationalError("INSERT", {}, locked))
    # What PgBouncer answers when it cannot reach PostgreSQL: SQLSTATE 08P01, a connection exception.
    assert database_unavailable(asyncpg.ProtocolViolationError("pgbouncer cannot connect to server"))
    # A read replica cancelling a report to replay the primary's changes.
    assert database_unavailable(asyncpg.SerializationError("canceling statement due to conflict with recovery"))
    # A bug or a bad request is not an outage: those stay 500 / 4xx.
    assert not database_unavailable(asyncpg.UniqueViolationError("duplicate key"))
    assert not database_unavailable(OSError(ENOSPC, "No space left on device"))
    assert not database_unavailable(exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not database_unavailable(ValueError("boom"))
