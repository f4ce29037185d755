"""create_app(): settings, database, middleware, error handlers and every domain's router."""

import asyncio
import contextlib
import gc
import logging
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from prometheus_client import multiprocess
from starlette.routing import Route

from app.audit.sealer import run_sealer
from app.core.config import Settings, get_settings
from app.core.db import make_engine, make_read_sessionmaker, make_sessionmaker
from app.core.db_replica import Replica
from app.core.errors import PROBLEM_SCHEMA, install_error_handlers
from app.core.migrations import current_revision, head_revision
from app.fastlane.lane import FastLane
from app.fastlane.routes import ROUTES as FAST_ROUTES
from app.idempotency.deps import install_idempotency
from app.middleware import RequestContextMiddleware
from app.notifications.inline import start_inline_worker
from app.openapi.links import add_links
from app.openapi.meta import DESCRIPTION, TAGS, add_common_problems
from app.ops import logs, metrics
from app.ops.metrics_env import MULTIPROC_ENV
from app.routers import ROUTE_TABLE, warm_route_table
from app.wiring import wire

log = logging.getLogger("weishi")


class SchemaNotAtHead(RuntimeError):
    """The database has not been migrated to the code's newest revision."""


async def check_schema(app: FastAPI) -> None:
    """Refuse to serve on a database that is not at head, saying what to run."""
    current = await current_revision(app.state.engine)
    head = head_revision()
    if current != head:
        raise SchemaNotAtHead(
            f"Database schema is at {current!r} but the code needs {head!r}. "
            "Run `weishi migrate` (or `alembic upgrade head`) first."
        )


def freeze_startup_heap() -> None:
    """Take what a worker built at start out of the collector's reach: routes, models and table metadata,
    some 270,000 objects that live as long as the worker. Otherwise every full collection walks them all,
    about 160 ms during which no request moves (docs/scaling.md)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; tests pass their own settings."""
    settings = settings or get_settings()
    logs.configure(settings.log_level)
    wire()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.check_schema_on_startup:
            await check_schema(app)
        if settings.environment != "test":  # a test process builds hundreds of apps: let them be collected
            warm_route_table()
            freeze_startup_heap()
        sealer = None
        if settings.audit_seal_interval_seconds > 0:
            sealer = asyncio.create_task(run_sealer(app.state.sessionmaker, settings.audit_seal_interval_seconds))
        inline = start_inline_worker(app) if settings.notify_inline_worker else None
        yield
        if inline is not None:
            await inline.stop()
        if sealer is not None:
            sealer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sealer
        await app.state.engine.dispose()
        if app.state.replica is not None:
            await app.state.replica.engine.dispose()
        if os.environ.get(MULTIPROC_ENV):  # this worker's live gauges leave the sum with it
            multiprocess.mark_process_dead(os.getpid())

    # /docs and /redoc load Swagger UI and ReDoc from the service itself (fastapi-offline ships them), not from a
    # public CDN: they work on an offline government network and no third party can change the page's script.
    app = FastAPIOffline(
        title="Weishi 微实 API", version="0.1.0", description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.read_sessionmaker = make_read_sessionmaker(app.state.engine)
    app.state.replica = None
    if settings.database_read_url:
        replica_engine = make_engine(settings.model_copy(update={"database_url": settings.database_read_url}))
        app.state.replica = Replica(
            replica_engine, settings.db_replica_max_lag_seconds, min(1.0, settings.db_timeout_seconds)
        )
    install_error_handlers(app)
    install_idempotency(app)
    app.router.routes.extend(ROUTE_TABLE.routes)
    # Outside the API and its documentation: for the operator's scraper, from allowed addresses only.
    app.router.routes.append(Route("/metrics", metrics.metrics, methods=["GET"]))
    metrics.instrument_pool(app.state.engine)
    # The fast lane (app/fastlane), inside RequestContextMiddleware (the last one added is the outermost).
    app.state.fast_lane = True
    app.add_middleware(FastLane, routes=FAST_ROUTES)
    app.add_middleware(RequestContextMiddleware, settings=settings)
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(add_common_problems(generate(), PROBLEM_SCHEMA))
        return app.openapi_schema

    app.openapi = openapi
    return app
