"""Engine and session factory; one transaction per request, committed before the response."""

import errno
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.core.errors import ProblemError


def ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a SQLite database file (a fresh checkout has no ./data yet)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def pooler_connect_args(pooler: str) -> dict:
    """asyncpg arguments for a database reached through `pooler` (Settings.db_pooler).

    Behind PgBouncer in transaction mode consecutive transactions of one client run on different server
    connections: a statement prepared under a name by one (asyncpg's `__asyncpg_stmt_N__`) is missing on the
    next, or already taken by another client there. With both caches off every statement is parsed unnamed,
    and asyncpg ends the parse with Flush rather than Sync, so PgBouncer keeps the parse and its execution on
    one server connection even outside a transaction (PgBouncer 1.18 has no max_prepared_statements)."""
    if pooler == "pgbouncer":
        return {"statement_cache_size": 0, "prepared_statement_cache_size": 0, "prepared_statement_name_func": _unnamed}
    return {}


def _unnamed() -> None:
    """SQLAlchemy's statement name: None lets asyncpg prepare unnamed when its cache is off."""
    return None


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database, with timeouts so a dead database fails fast."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_folder(settings.database_url)
        engine = create_async_engine(url, connect_args={"timeout": settings.db_timeout_seconds})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(settings.db_timeout_seconds * 1000)}")
            cur.close()

        return engine
    timeout = settings.db_timeout_seconds
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=timeout,
        connect_args={
            "timeout": timeout,
            "command_timeout": timeout * 2,
            "server_settings": {"application_name": "weishi"},
            **pooler_connect_args(settings.db_pooler),
        },
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_closed(dbapi_conn, _record, _proxy):
        # A backend the server ended, or a connection a proxy dropped, shows as closed on its socket: give
        # the pool a fresh one. Unlike pool_pre_ping this costs no round trip on every checkout.
        if dbapi_conn.driver_connection.is_closed():
            raise sa_exc.DisconnectionError("pooled connection was closed by the server")

    return engine


# Errors that mean "the database cannot be reached or did not answer in time", not "the request is bad"
# or "the code is wrong": asyncpg's connection errors and timeouts, the pool's checkout timeout, OSError
# from connect, and SQLite's busy timeout.
_UNAVAILABLE_NAMES = {
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
    "AdminShutdownError",
    "CrashShutdownError",
    "QueryCanceledError",
    "InternalClientError",
}


_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.EADDRNOTAVAIL,
}


def database_unavailable(exc: BaseException) -> bool:
    """True when exc (or what caused it) says the database is unreachable, gone or too slow: a 503, not a 500."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.TimeoutError | TimeoutError | ConnectionError | socket.gaierror):
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if type(current).__name__ in _UNAVAILABLE_NAMES:
            return True
        # SQLSTATE class 08, connection exception: also what PgBouncer answers when it cannot reach the server
        # or gave up waiting for a server connection (08P01 "pgbouncer cannot connect to server").
        if str(getattr(current, "sqlstate", None) or "").startswith("08"):
            return True
        # A report on a hot standby cancelled so the standby can replay the primary's changes: retry later.
        if "conflict with recovery" in str(current):
            return True
        if type(current).__name__ == "OperationalError" and "database is locked" in str(current):
            return True
        if isinstance(current, sa_exc.InterfaceError | sa_exc.ResourceClosedError) and "closed" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (async code cannot lazy-load)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit once at the end, roll back on any error."""
    async with request.app.state.sessionmaker() as session:
        request.state.db_session = session  # for dependencies of request scope (app.idempotency.deps)
        try:
            yield session
        except ProblemError as exc:
            if exc.commit:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response is sent, so a 2xx is never
# acknowledged for a transaction that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for public reads: autocommit on the same pool, so a read costs no BEGIN and COMMIT round trips.
    Each statement sees the latest committed data; use them only where nothing is written."""
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.read_sessionmaker() as session:
        yield session


# The public pages a whole city opens on its phones; they read and never write.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
