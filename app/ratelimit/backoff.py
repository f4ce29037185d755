"""Growing delays after wrong passwords, per (account, client address), with counters in the database.

A hard lock on the account (ten wrong passwords from anywhere) let any stranger lock a staff member out.
Here a guesser only slows itself down: its own address waits longer after each failure, while the same
account from another address is untouched. The row of a key in rate_limit_counter holds the failures so
far (`count`) and the instant the next attempt may start (`window_start`, so the purge of ended windows
also forgets old failures).
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.secrets import keyed_digest
from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.ratelimit.models import RateLimitCounter

_TABLE = RateLimitCounter.__table__
WAIT = (
    "请稍后再试：此账号在您的网络地址上的密码错误次数过多。Too many wrong passwords from this address; wait and retry."
)


def backoff_key(settings: Settings, bucket: str, *identifiers: str) -> str:
    """The counter key of one (account, address) pair; neither is stored in clear."""
    return f"{bucket}:" + keyed_digest(settings.secret_key, "ratelimit", "|".join(identifiers))[:40]


def delay_after(settings: Settings, failures: int) -> int:
    """Seconds to wait after this many failures in a row: none for the first few, then doubling to a cap."""
    free = settings.login_backoff_free_failures
    if failures <= free:
        return 0
    return min(settings.login_backoff_max_seconds, settings.login_backoff_base_seconds * 2 ** (failures - free - 1))


def _refuse(seconds: float) -> TooManyRequests:
    return TooManyRequests(WAIT, code="login_backoff", retry_after=max(1, math.ceil(seconds)))


async def claim_attempt(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, key: str, now: datetime | None = None
) -> None:
    """Start an attempt, or raise 429 with Retry-After while the key must wait. The attempt sets the wait
    that applies if it fails before it is checked (compare-and-set on the row), so a burst of parallel
    guesses gets one attempt through, not all of them."""
    now = now or utcnow()
    reset = timedelta(seconds=settings.login_backoff_reset_seconds)
    async with sessionmaker() as session:
        row = (await session.execute(select(_TABLE.c.count, _TABLE.c.window_start).where(_TABLE.c.key == key))).first()
        if row is None:
            stmt = insert_for(session, _TABLE).values(
                key=key, count=0, window_start=now + timedelta(seconds=delay_after(settings, 1))
            )
            won = (await session.execute(stmt.on_conflict_do_nothing(index_elements=[_TABLE.c.key]))).rowcount == 1
        else:
            failures, not_before = row
            if not_before > now:
                raise _refuse((not_before - now).total_seconds())
            if not_before <= now - reset:  # quiet long enough: earlier failures are forgiven
                failures = 0
            pending = now + timedelta(seconds=delay_after(settings, failures + 1))
            won = (
                await session.execute(
                    update(_TABLE)
                    .where(_TABLE.c.key == key, _TABLE.c.window_start == not_before)
                    .values(count=failures, window_start=pending)
                )
            ).rowcount == 1
        await session.commit()
    if not won:  # another attempt of this key started in between
        raise _refuse(1)


async def record_failure(sessionmaker: async_sessionmaker[AsyncSession], key: str) -> None:
    """Count a failed attempt (own session, committed although the request is refused)."""
    async with sessionmaker() as session:
        await session.execute(update(_TABLE).where(_TABLE.c.key == key).values(count=_TABLE.c.count + 1))
        await session.commit()


async def forget(session: AsyncSession, key: str) -> None:
    """A success clears the key's failures (in the request's transaction, so only a committed login does)."""
    await session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
