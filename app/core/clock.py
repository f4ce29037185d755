"""The service's one clock: every "now" and "today" comes from here, so tests and the demo can move it.

The clock runs at real speed; travelling only shifts it (an offset per process). Time keeps flowing while a
phase of a year is played, so tokens, rate limits and the audit sealer behave as they do in service.
Nothing else in `app/` reads the system clock (tests/test_clock.py enforces it).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # where notices are posted, meetings held and dates counted

_offset = timedelta(0)
_offset_seconds = 0.0


def now() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC) + _offset


def timestamp() -> float:
    """Now as seconds since the epoch (for token checks on the hot path)."""
    return time.time() + _offset_seconds


def today() -> date:
    """The calendar day in Asia/Shanghai."""
    return now().astimezone(SHANGHAI).date()


def local_day(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai of a moment."""
    return moment.astimezone(SHANGHAI).date()


def at_shanghai(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of a Shanghai day, in UTC (10:00 by default: office hours, far from midnight)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def travel_to(moment: datetime | date) -> None:
    """Move the clock so that now is `moment` (a date means 10:00 that day in Shanghai)."""
    global _offset, _offset_seconds
    if not isinstance(moment, datetime):
        moment = at_shanghai(moment)
    if moment.tzinfo is None:
        raise ValueError("travel_to needs a timezone-aware moment")
    _offset = moment - datetime.now(UTC)
    _offset_seconds = _offset.total_seconds()


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back) by delta."""
    travel_to(now() + delta)


def reset() -> None:
    """Back to the real time."""
    global _offset, _offset_seconds
    _offset, _offset_seconds = timedelta(0), 0.0


def is_moved() -> bool:
    """Whether the clock is away from the real time."""
    return _offset != timedelta(0)


@contextmanager
def travelling(moment: datetime | date) -> Iterator[None]:
    """The clock at `moment` inside the block, back to real time after it."""
    travel_to(moment)
    try:
        yield
    finally:
        reset()
