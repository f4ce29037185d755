"""Reads that may lag a little: finance reports, exports and public pages, from a streaming read replica.

With WEISHI_DATABASE_READ_URL set (a PostgreSQL hot standby of the primary), `ReplicaSessionDep` gives routes
an autocommit session on the replica while it is streaming and at most WEISHI_DB_REPLICA_MAX_LAG_SECONDS behind;
otherwise (lagging, cut off from the primary, down, or not configured) a session on the primary, so the
service keeps answering. Whether the replica is fit is asked at most once a second per worker. Reads that
decide a write, and reads that must see the caller's own write, stay on the primary (SessionDep).
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.db import database_unavailable, make_read_sessionmaker

log = logging.getLogger("weishi.db")
RECHECK_SECONDS = 1.0
# Streaming from the primary, and how far replay is behind what was received (0 when it has replayed all).
# A standby cut off from its primary receives nothing, so its own lag looks like 0: hence the receiver's state.
FITNESS = text(
    "SELECT coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false), "
    "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


class Replica:
    """The replica's engine and whether it was fit at its last check."""

    def __init__(self, engine: AsyncEngine, max_lag_seconds: float, timeout: float) -> None:
        self.engine, self.max_lag, self.timeout = engine, max_lag_seconds, timeout
        self.sessionmaker = make_read_sessionmaker(engine)
        self._fit, self._checked, self._lock = False, float("-inf"), asyncio.Lock()

    async def fit(self) -> bool:
        if time.monotonic() - self._checked < RECHECK_SECONDS:
            return self._fit
        async with self._lock:
            if time.monotonic() - self._checked >= RECHECK_SECONDS:
                self._fit = await self._check()
                self._checked = time.monotonic()
        return self._fit

    async def _check(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout), self.engine.connect() as conn:
                streaming, lag = (await conn.execute(FITNESS)).one()
        except Exception as exc:  # whatever is wrong with the replica, the primary answers
            if self._fit or not database_unavailable(exc):
                log.warning("read replica unusable, reading from the primary: %s: %s", type(exc).__name__, exc)
            return False
        fit = bool(streaming) and float(lag) <= self.max_lag
        if self._fit and not fit:
            log.warning(
                "read replica %s (lag %.1f s), reading from the primary",
                "streaming" if streaming else "not streaming",
                float(lag),
            )
        return fit


async def _replica_session(request: Request) -> AsyncIterator[AsyncSession]:
    state = request.app.state
    replica: Replica | None = state.replica
    maker: async_sessionmaker[AsyncSession] = (
        replica.sessionmaker if replica is not None and await replica.fit() else state.read_sessionmaker
    )
    async with maker() as session:
        yield session


# Reports, exports and public pages: the replica when it is fit, else the primary (autocommit either way).
ReplicaSessionDep = Annotated[AsyncSession, Depends(_replica_session, scope="function")]
