"""Prometheus metrics at GET /metrics, for the addresses in WEISHI_METRICS_ALLOWED only.

Counters and histograms live in this process; with several workers `weishi serve` points
PROMETHEUS_MULTIPROC_DIR at a folder they share and any worker's /metrics adds them all up. What the
database knows (audit events pending, the sealer's lag, ballots cast per open round) is read at scrape time
and never cached, so no worker reports a round that has closed since."""

import os
import time
from ipaddress import ip_address, ip_network

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response

from app.audit.models import AuditEvent
from app.core import clock
from app.core.errors import Forbidden
from app.notifications.models import DeliveryStatus, EventStatus, Notification, NotificationEvent
from app.ops.metrics_env import MULTIPROC_ENV
from app.ratelimit.client import client_ip
from app.voting.models import RoundStatus, VoteMark, VotingRound

REQUESTS = Counter(
    "weishi_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "weishi_http_request_duration_seconds",
    "Time to answer a request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter("weishi_rate_limit_refusals_total", "Requests refused with 429, by route template", ["route"])
DB_UNAVAILABLE = Counter(
    "weishi_db_unavailable_total",
    "Requests answered 503 because the database (or a pooled connection) did not come in time",
)
POOL_IN_USE = Gauge(
    "weishi_db_pool_in_use", "Database connections checked out of the pool now", multiprocess_mode="livesum"
)
POOL_WAIT = Histogram(
    "weishi_db_pool_wait_seconds",
    "Time a request waited to get a database connection from the pool (opening one included)",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30),
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (called by RequestContextMiddleware)."""
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(method, route).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def instrument_pool(engine: AsyncEngine) -> None:
    """Follow the pool's checkouts and checkins (each worker its own, summed across live workers)."""
    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())
    # SQLAlchemy has no event before a checkout, so the wait is timed around the pool's own getter: the queue
    # wait when every connection is out (up to the pool timeout), or opening a new one.
    take = pool._do_get

    def timed_take():
        started = time.perf_counter()
        try:
            return take()
        finally:
            POOL_WAIT.observe(time.perf_counter() - started)

    pool._do_get = timed_take


def allowed(address: str, networks: list[str]) -> bool:
    """Whether the client address falls in one of the configured networks."""
    try:
        addr = ip_address(address)
    except ValueError:
        return False
    return any(addr in ip_network(net, strict=False) for net in networks)


async def _database_families(request: Request) -> list[GaugeMetricFamily]:
    now = clock.now()
    async with request.app.state.sessionmaker() as session:
        pending, oldest = (
            await session.execute(
                select(func.count(), func.min(AuditEvent.occurred_at)).where(
                    col(AuditEvent.chain_year) == 0, AuditEvent.seq.is_(None)
                )
            )
        ).one()
        events_waiting = await session.scalar(
            select(func.count()).select_from(NotificationEvent).where(NotificationEvent.status == EventStatus.pending)
        )
        deliveries = dict(
            (
                await session.execute(
                    select(Notification.status, func.count())
                    .where(Notification.status.in_(WATCHED_DELIVERIES))
                    .group_by(Notification.status)
                )
            ).all()
        )
        # Counts of voters per open round: the vote marks say who voted, never how.
        ballots = (
            await session.execute(
                select(VotingRound.id, func.count(VoteMark.id))
                .join(VoteMark, VoteMark.round_id == VotingRound.id, isouter=True)
                .where(
                    VotingRound.status == RoundStatus.scheduled,
                    VotingRound.opens_at <= now,
                    VotingRound.closes_at > now,
                )
                .group_by(VotingRound.id)
            )
        ).all()
    lag = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    cast = GaugeMetricFamily(
        "weishi_ballots_cast", "Voters (or households) who cast a ballot, per open round", labels=["round_id"]
    )
    for round_id, count in ballots:
        cast.add_metric([str(round_id)], count)
    return [
        GaugeMetricFamily(
            "weishi_audit_events_pending", "Audit events written but not yet sealed into the chain", value=pending
        ),
        GaugeMetricFamily("weishi_audit_sealer_lag_seconds", "Age of the oldest audit event not yet sealed", value=lag),
        GaugeMetricFamily(
            "weishi_outbox_events_waiting",
            "Notification events not yet expanded into deliveries",
            value=events_waiting or 0,
        ),
        _by_status(deliveries),
        cast,
    ]


WATCHED_DELIVERIES = (DeliveryStatus.pending, DeliveryStatus.sending, DeliveryStatus.failed, DeliveryStatus.unknown)


def _by_status(counts: dict) -> GaugeMetricFamily:
    """Deliveries waiting (pending), in a worker's hands (sending), given up (failed) and perhaps sent by a worker
    that died (unknown: to reconcile with the provider's console), by status."""
    family = GaugeMetricFamily(
        "weishi_outbox_deliveries", "Notification deliveries waiting, sending, failed or unknown", labels=["status"]
    )
    for status in WATCHED_DELIVERIES:
        family.add_metric([status.value], counts.get(status, 0))
    return family


class _Snapshot:
    """A collector answering the families read just now."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        return self.families


async def metrics(request: Request) -> Response:
    """The Prometheus text format; 403 for an address not allowed."""
    if not allowed(client_ip(request), request.app.state.settings.metrics_allowed):
        raise Forbidden("此地址不允许读取运行指标。This address may not read the metrics.", code="metrics_forbidden")
    if os.environ.get(MULTIPROC_ENV):
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
    else:
        process = REGISTRY
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await _database_families(request)))
    return Response(generate_latest(process) + generate_latest(snapshot), media_type=CONTENT_TYPE_LATEST)
