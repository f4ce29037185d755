"""Working days (工作日) in mainland China: official holidays and adjusted workdays (调休). Pure.

chinese-calendar carries the State Council's schedule for the years it knows; for a later year the
caller passes an administrator-maintained calendar, and without one Monday–Friday is assumed and
the result says so.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class YearCalendar:
    """An administrator-maintained year: extra days off and weekend days that are workdays."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for d in self.holidays | self.workdays:
            if d.year != self.year:
                raise ValueError(f"{d.isoformat()} is not in {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} cannot be both a holiday and a workday")


@dataclass(frozen=True)
class WindowEnd:
    """Where a notice window ends and which calendars were used to count it."""

    end: date
    sources: tuple[str, ...]  # "official", "custom:<year>", "weekdays:<year>"

    @property
    def assumed_weekdays(self) -> bool:
        """True when some year was counted as plain Monday–Friday."""
        return any(s.startswith("weekdays:") for s in self.sources)


def official_years() -> range:
    """Years chinese-calendar has the official schedule for."""
    known = chinese_calendar.constants.holidays
    return range(min(known).year, max(known).year + 1)


def is_workday(day: date, custom: dict[int, YearCalendar] | None = None) -> tuple[bool, str]:
    """Whether day is a working day, and which calendar said so."""
    if day.year in official_years():
        return chinese_calendar.is_workday(day), "official"
    cal = (custom or {}).get(day.year)
    if cal is not None:
        if day in cal.workdays:
            return True, f"custom:{day.year}"
        if day in cal.holidays:
            return False, f"custom:{day.year}"
        return day.weekday() < 5, f"custom:{day.year}"
    return day.weekday() < 5, f"weekdays:{day.year}"


def add_working_days(start: date, days: int, custom: dict[int, YearCalendar] | None = None) -> WindowEnd:
    """The last day of a window of `days` working days that opens on start (start counts if a workday)."""
    if days < 1:
        raise ValueError("a window has at least one day")
    current, counted, sources = start, 0, []
    while True:
        working, source = is_workday(current, custom)
        if source not in sources:
            sources.append(source)
        if working:
            counted += 1
            if counted == days:
                return WindowEnd(current, tuple(sources))
        current += timedelta(days=1)


def add_calendar_days(start: date, days: int) -> WindowEnd:
    """The last day of a window of `days` calendar days that opens on start."""
    if days < 1:
        raise ValueError("a window has at least one day")
    return WindowEnd(start + timedelta(days=days - 1), ("calendar",))
