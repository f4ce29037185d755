"""Engine and session factory; one transaction per request, committed before the response."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.config import Settings
from app.errors import ProblemError


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database, with timeouts so a dead database fails fast."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
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
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=timeout,
        pool_pre_ping=True,
        connect_args={"timeout": timeout, "command_timeout": timeout * 2,
                      "server_settings": {"application_name": "weishi"}},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (async code cannot lazy-load)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit once at the end, roll back on any error."""
    async with request.app.state.sessionmaker() as session:
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
