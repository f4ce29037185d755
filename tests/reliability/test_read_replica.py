"""Finance reports from a real streaming replica (WEISHI_DATABASE_READ_URL): they read the replica, never hold up
a write on the primary, and come from the primary when the replica lags too far or is down; the service keeps
answering and goes back to the replica by itself (tests/replica_cluster.py builds the two clusters)."""

import asyncio
import subprocess
import time
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.factories import make_tree
from tests.programmes.helpers import API, YEAR, commit, make_world, ok
from tests.replica_cluster import ReplicaCluster

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def cluster(pg_template):
    from tests.conftest import IN_CI, PG_URL

    c = ReplicaCluster()
    try:
        c.start(make_url(PG_URL).set(database=pg_template).render_as_string(hide_password=False))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        c.close()
        detail = getattr(exc, "stderr", "") or str(exc)
        if IN_CI:
            pytest.fail(f"could not build a primary and a streaming replica: {detail}")
        pytest.skip(f"could not build a primary and a streaming replica: {detail}")
    yield c
    c.close()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _sql(url: str, statement: str):
    conn = await asyncpg.connect(_dsn(url), timeout=5)
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


async def eventually(check, seconds: float = 30.0) -> None:
    """Replication is asynchronous: poll until check() holds."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def settings(settings, cluster):
    """The app on the cluster's primary, a fresh database copied from the template, and its replica."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    await _sql(cluster.url(cluster.primary_port, "postgres"), f'CREATE DATABASE "{name}" TEMPLATE template_copy')
    standby = cluster.url(cluster.standby_port, name)

    async def replicated() -> bool:
        try:
            return await _sql(standby, "SELECT 1") == 1
        except (asyncpg.InvalidCatalogNameError, OSError):
            return False

    await eventually(replicated)
    return settings.model_copy(
        update={
            "database_url": cluster.url(cluster.primary_port, name),
            "database_read_url": standby,
            "db_replica_max_lag_seconds": 60.0,
            "db_timeout_seconds": 1.0,
        }
    )


async def committed(client, h) -> int:
    report = ok(await client.get(f"{API}/funds/reports", headers=h, params={"as_of": f"{YEAR}-12-31"}))
    return report["totals"]["committed_fen"]


async def _pause(settings, paused: bool) -> None:
    await _sql(settings.database_read_url, f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")


async def test_reports_read_the_replica_and_never_hold_up_a_write(client, session, app, settings):
    world = await make_world(client, session, app, await make_tree(session))
    h, pilot = world.h, world.pilot_a1["id"]
    ok(await commit(client, h["district"], pilot, 100_000, project_id=uuid.uuid4()), 201)

    async def caught_up() -> bool:
        return await committed(client, h["finance"]) == 100_000

    await eventually(caught_up)
    await _pause(settings, True)
    # A report in progress on the replica: a snapshot held open on the tables the write changes.
    holder = await asyncpg.connect(_dsn(settings.database_read_url))
    try:
        await holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM ledger_entry")
        ok(await commit(client, h["district"], pilot, 200_000, project_id=uuid.uuid4()), 201)
        # The report comes from the replica, which has not replayed the second commitment yet ...
        assert await committed(client, h["finance"]) == 100_000
        # ... while what decides a write, and the caller's own write, are read from the primary.
        balance = ok(await client.get(f"{API}/pilots/{pilot}/balance", headers=h["district"]))
        assert balance["committed_fen"] == 300_000
    finally:
        await holder.close()
        await _pause(settings, False)

    async def replayed() -> bool:
        return await committed(client, h["finance"]) == 300_000

    await eventually(replayed)


async def test_a_replica_lagging_too_far_is_passed_over_for_the_primary(client, session, app, settings):
    app.state.replica.max_lag = 0.3
    world = await make_world(client, session, app, await make_tree(session))
    h, pilot = world.h, world.pilot_a1["id"]
    await _pause(settings, True)
    try:
        ok(await commit(client, h["district"], pilot, 100_000, project_id=uuid.uuid4()), 201)

        async def from_the_primary() -> bool:  # once the lag passes 0.3 s and the fitness is asked again
            return await committed(client, h["finance"]) == 100_000

        await eventually(from_the_primary)
        assert not await app.state.replica.fit()
    finally:
        await _pause(settings, False)
    await eventually(app.state.replica.fit)


async def test_the_service_answers_from_the_primary_while_the_replica_is_down(client, session, app, settings, cluster):
    world = await make_world(client, session, app, await make_tree(session))
    h, pilot = world.h, world.pilot_a1["id"]
    cluster.stop_standby()
    try:
        ok(await commit(client, h["district"], pilot, 100_000, project_id=uuid.uuid4()), 201)
        assert await committed(client, h["finance"]) == 100_000
        r = await client.get(f"{API}/public/communities/{world.tree.community_a1.id}/finances")
        assert r.status_code == 200, r.text
        assert not await app.state.replica.fit()
    finally:
        cluster.start_standby()
    await eventually(app.state.replica.fit)  # back to the replica without a restart
    assert await committed(client, h["finance"]) == 100_000
