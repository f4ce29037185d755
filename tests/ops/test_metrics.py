"""GET /metrics: Prometheus text for allowed addresses only; requests by route template, rate-limit refusals,
the pool, audit events pending and ballots per open round (counts, never choices); several workers summed."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from app.main import create_app
from tests.privacy.conftest import pw, tree  # noqa: F401 - the voting world, as fixtures
from tests.programmes.helpers import API, ok, problem
from tests.voting.helpers import Voter, cast, create_round, import_roll, resident, roll_csv, shortlist

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _client(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_metrics_answer_allowed_addresses_only(app, client):
    problem(await client.get("/metrics"), 403, "metrics_forbidden")
    # A forwarded header from a peer that is not a trusted proxy proves nothing.
    problem(await client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}), 403, "metrics_forbidden")
    async with _client(app, "127.0.0.1") as local:
        r = await local.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "weishi_http_requests_total" in r.text and "weishi_audit_events_pending" in r.text


async def test_requests_refusals_audit_and_ballots_are_counted(settings, session, client, tree):  # noqa: F811
    app = create_app(settings.model_copy(update={"rate_login_per_ip": "2/900"}))
    async with (
        app.router.lifespan_context(app),
        _client(app, "127.0.0.1") as local,
        _client(app, "198.51.100.7") as stranger,
    ):
        before = _samples((await local.get("/metrics")).text)
        ok(await stranger.get(f"{API}/public/regions"))
        problem(await stranger.get(f"{API}/regions/{tree.district.id}"), 401, "not_authenticated")
        for _ in range(2):
            await stranger.post(f"{API}/auth/login", json={"username": "nobody", "password": "wrong-password"})
        problem(
            await stranger.post(f"{API}/auth/login", json={"username": "nobody", "password": "x"}), 429, "rate_limited"
        )
        after = _samples((await local.get("/metrics")).text)

    def grew(name: str, **labels) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("weishi_http_requests_total", method="GET", route="/api/v1/public/regions", status="200") == 1
    assert grew("weishi_http_requests_total", method="GET", route="/api/v1/regions/{region_id}", status="401") == 1
    assert grew("weishi_rate_limit_refusals_total", route="/api/v1/auth/login") == 1
    assert grew("weishi_http_request_duration_seconds_count", method="POST", route="/api/v1/auth/login") == 3
    # No raw path (one series per object) ever becomes a label.
    assert not any(str(tree.district.id) in str(key) for key in after)
    assert ("weishi_db_pool_in_use", ()) in after
    # Every request that reached the database took a connection from the pool, and how long that took is timed.
    assert grew("weishi_db_pool_wait_seconds_count") >= 2


async def test_pending_audit_events_and_ballots_per_open_round(app, client, session, pw):  # noqa: F811
    proposals = await shortlist(client, pw, [500_000, 600_000])
    ok(
        await import_roll(
            client,
            pw.h["staff_a1"],
            pw.tree.community_a1.id,
            roll_csv([("13800000001", "张三", "", "1"), ("13800000002", "李四", "", "2")]),
        )
    )
    rnd = ok(await create_round(client, pw.h["staff_a1"], pw.world.pilot_a1["id"], proposals), 201)
    for phone in ("13800000001", "13800000002"):
        voter: Voter = await resident(session, app, pw.tree.community_a1, phone)
        ok(await cast(client, voter, rnd["id"], [2]), 201)
    async with _client(app, "127.0.0.1") as local:
        text = (await local.get("/metrics")).text
        samples = _samples(text)
        assert _value(samples, "weishi_ballots_cast", round_id=rnd["id"]) == 2
        assert _value(samples, "weishi_audit_events_pending") > 0
        assert _value(samples, "weishi_audit_sealer_lag_seconds") >= 0
        # Counts only: nothing about what anyone chose, nor who.
        assert "choice" not in text and "13800000001" not in text
        ok(await client.get(f"{API}/audit/verify", headers=pw.h["supervisor"]))  # reading the trail seals it
        assert _value(_samples((await local.get("/metrics")).text), "weishi_audit_events_pending") == 0


@pytest.mark.sqlite_only
async def test_several_workers_are_summed(app, tmp_path, monkeypatch):
    """Two worker processes, each answering one request, write to the shared folder; one scrape sums them."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    worker = (
        "from app.ops import metrics; metrics.observe('GET', '/api/v1/public/regions', 200, 0.01); "
        "metrics.POOL_IN_USE.inc()"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for _ in range(2):
        await asyncio.to_thread(subprocess.run, [sys.executable, "-c", worker], env=env, cwd=ROOT, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    async with _client(app, "127.0.0.1") as local:
        samples = _samples((await local.get("/metrics")).text)
    assert (
        _value(samples, "weishi_http_requests_total", method="GET", route="/api/v1/public/regions", status="200") == 2
    )
    assert (
        _value(samples, "weishi_http_request_duration_seconds_count", method="GET", route="/api/v1/public/regions") == 2
    )


async def test_the_outbox_waiting_and_failing_is_counted(app, session, pw):  # noqa: F811
    """Events not yet expanded, and deliveries waiting or given up, by status: what an operator alerts on."""
    from app.notifications import outbox
    from app.notifications.fanout import expand_due
    from app.notifications.models import DeliveryStatus, Notification, NotificationKind

    resident_id = str(pw.users["resident"].id)
    outbox.emit(
        session,
        NotificationKind.proposal_moved,
        "proposal",
        pw.tree.community_a1.id,
        {"user_ids": [resident_id], "title": "楼道照明", "state": "screened", "reason": None},
    )
    await session.commit()
    async with _client(app, "127.0.0.1") as local:
        samples = _samples((await local.get("/metrics")).text)
        assert _value(samples, "weishi_outbox_events_waiting") == 1
        assert _value(samples, "weishi_outbox_deliveries", status="failed") == 0
        assert await expand_due(session, app.state.settings) == 1
        await session.commit()
        failed = await session.scalar(select(Notification).where(Notification.user_id == pw.users["resident"].id))
        failed.status = DeliveryStatus.failed
        await session.commit()
        samples = _samples((await local.get("/metrics")).text)
    assert _value(samples, "weishi_outbox_events_waiting") == 0
    assert _value(samples, "weishi_outbox_deliveries", status="failed") == 1
