"""PgBouncer in transaction mode between the service and PostgreSQL (WEISHI_DB_POOLER=pgbouncer): PgBouncer
restarting while requests are in flight, and its pool exhausted, get quick 503 problems; nothing acknowledged is
lost; the service recovers by itself. Each test has a PgBouncer of its own (bench/pgbouncer.py)."""

import asyncio

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.auth.models import Role
from app.main import create_app
from tests.factories import bearer, make_tree, user_for
from tests.pgbouncer import PgBouncer
from tests.reliability.test_database_faults import TIMEOUT, assert_unavailable, assert_working

pytestmark = pytest.mark.postgres_only
ME, LOGOUT = "/api/v1/auth/me", "/api/v1/auth/logout"


@pytest.fixture
def bouncer(db_url):
    from tests.conftest import PG_URL

    b = PgBouncer(PG_URL, pool_size=2, query_wait_timeout=1)
    if not b.available():
        b.close()
        pytest.skip("pgbouncer is not installed")
    yield b.start()
    b.close()


@pytest.fixture
async def through(settings, db_url, bouncer):
    """A client of the app reaching its database through `bouncer`, with a 1 s database timeout."""
    url = make_url(bouncer.url).set(database=make_url(db_url).database).render_as_string(hide_password=False)
    app = create_app(
        settings.model_copy(update={"database_url": url, "db_timeout_seconds": TIMEOUT, "db_pooler": "pgbouncer"})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.app = app
            yield c


async def test_pgbouncer_restarting_mid_run_loses_nothing_acknowledged(through, bouncer, session):
    app = through.app
    user, _ = await user_for(session, app, await make_tree(session), Role.community_staff)
    logins = [await bearer(session, app, user) for _ in range(40)]
    await assert_working(through)

    async def restart() -> None:
        await asyncio.sleep(0.05)
        bouncer.stop()  # every client and server connection dropped, transactions in flight included
        await asyncio.sleep(0.3)
        bouncer.start()

    async def logout(h):
        await asyncio.sleep(0.01 * logins.index(h))  # spread over the restart
        return await through.post(LOGOUT, headers=h)

    answers = await asyncio.gather(*(logout(h) for h in logins), restart())
    answers = answers[:-1]
    assert {r.status_code for r in answers} <= {204, 503}, [r.text for r in answers if r.status_code not in (204, 503)]
    assert any(r.status_code == 503 for r in answers), "the restart should have refused some logouts"
    for r in answers:
        if r.status_code == 503:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "database_unavailable"
    await assert_working(through)
    for h, r in zip(logins, answers, strict=True):
        # An acknowledged logout ended its session; a refused one changed nothing.
        assert (await through.get(ME, headers=h)).status_code == (401 if r.status_code == 204 else 200)


async def test_pgbouncer_down_gets_503_and_the_service_recovers(through, bouncer):
    await assert_working(through)
    bouncer.stop()
    await assert_unavailable(through)
    bouncer.start()
    await assert_working(through)


async def test_an_exhausted_pool_gets_503_and_frees_itself(through, bouncer):
    import asyncpg

    await assert_working(through)
    # Two transactions left open hold both of PgBouncer's server connections for this database.
    dsn = make_url(through.app.state.settings.database_url).set(drivername="postgresql")
    holders = [
        await asyncpg.connect(dsn.render_as_string(hide_password=False), statement_cache_size=0) for _ in range(2)
    ]
    for conn in holders:
        await conn.execute("BEGIN; SELECT 1")
    try:
        await assert_unavailable(through)
    finally:
        for conn in holders:
            await conn.close()
    await assert_working(through)
