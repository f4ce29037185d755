"""Count hits with one atomic upsert per key, on a connection of their own, committed at once."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.secrets import keyed_digest
from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.config import Settings, parse_rate
from app.core.errors import TooManyRequests
from app.ratelimit.models import RateLimitCounter

_TABLE = RateLimitCounter.__table__


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits per `window` seconds for one key."""

    key: str
    limit: int
    window: int


def limit_for(settings: Settings, setting: str, bucket: str, identifier: str) -> Limit:
    """The Limit named by a Settings field (e.g. 'rate_otp_per_phone') for one identifier."""
    limit, window = parse_rate(getattr(settings, setting))
    # Keyed digest: the table never holds phones, account names or addresses in clear.
    digest = keyed_digest(settings.secret_key, "ratelimit", identifier)[:40]
    return Limit(key=f"{bucket}:{digest}", limit=limit, window=window)


async def _count(session: AsyncSession, limit: Limit, now: datetime) -> tuple[int, datetime]:
    stmt = insert_for(session, _TABLE).values(key=limit.key, window_start=now, count=1)
    ended = _TABLE.c.window_start <= now - timedelta(seconds=limit.window)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "count": case((ended, 1), else_=_TABLE.c.count + 1),
            "window_start": case((ended, stmt.excluded.window_start), else_=_TABLE.c.window_start),
        },
    ).returning(_TABLE.c.count, _TABLE.c.window_start)
    row = (await session.execute(stmt)).one()
    return row[0], row[1]


async def hit(sessionmaker: async_sessionmaker[AsyncSession], *limits: Limit, now: datetime | None = None) -> None:
    """Count one hit against the limits in order; raise TooManyRequests at the first one exceeded. A refused
    hit is not counted against the limits after it: list the narrowest first (e.g. one address's budget for
    a phone before the phone's own), so a client spending its budget cannot spend anyone else's."""
    now = now or utcnow()
    retry_after = 0
    # Own session, committed before the caller's request writes anything: refused and failed
    # requests still count, and SQLite's single writer is never waited on while held.
    async with sessionmaker() as session:
        for limit in limits:
            count, window_start = await _count(session, limit, now)
            if count > limit.limit:
                ends = window_start + timedelta(seconds=limit.window)
                retry_after = max(1, math.ceil((ends - now).total_seconds()))
                break
        await session.commit()
    if retry_after:
        raise TooManyRequests("Too many attempts; try again later.", retry_after=retry_after)


def longest_window(settings: Settings) -> int:
    """The longest window of any configured limit (each is a `rate_…` setting, "hits/seconds")."""
    return max(parse_rate(value)[1] for name, value in settings.model_dump().items() if name.startswith("rate_"))


async def purge_ended(session: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Delete counters whose window has ended under every limit (their next hit would open a new window
    anyway), so keys of passing addresses do not pile up; the caller commits. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=longest_window(settings))
    result = await session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start <= cutoff))
    return result.rowcount or 0
