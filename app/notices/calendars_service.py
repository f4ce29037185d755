"""Administrator-maintained working-day calendars for years chinese-calendar does not cover yet."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.notices import rules
from app.notices.models import WorkCalendarYear
from app.notices.workdays import YearCalendar, official_years


async def get_calendar(session: AsyncSession, year: int) -> WorkCalendarYear:
    """The administrator calendar of a year, or 404 when there is none."""
    return await get_or_404(
        session, WorkCalendarYear, year, code="calendar_not_found", detail="No administrator calendar for that year."
    )


async def put_calendar(
    session: AsyncSession, principal: Principal, year: int, holidays: list[str], workdays: list[str], source: str | None
) -> WorkCalendarYear:
    """Create or replace a year's calendar; impossible, out-of-year or contradictory dates change nothing."""
    if year in official_years():
        raise Conflict(
            f"{year} follows the State Council's official schedule (chinese-calendar); it cannot be overridden.",
            code="official_year",
        )
    off, errors = rules.parse_calendar_days(year, holidays, "holidays")
    on, more = rules.parse_calendar_days(year, workdays, "workdays")
    errors += more
    errors += [f"{d.isoformat()} is both a holiday and a workday" for d in sorted(off & on)]
    if errors:
        raise Unprocessable(
            "The calendar has impossible dates; nothing was saved.", code="calendar_invalid", extra={"errors": errors}
        )
    row = await session.get(WorkCalendarYear, year)
    before = None if row is None else {"holidays": row.holidays, "workdays": row.workdays}
    if row is None:
        row = WorkCalendarYear(year=year, holidays=[], workdays=[])
        session.add(row)
    row.holidays, row.workdays = sorted(d.isoformat() for d in off), sorted(d.isoformat() for d in on)
    row.source, row.updated_by, row.updated_at = source, principal.actor.id, utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "calendar.put",
        "work_calendar_year",
        year,
        before=before,
        after={"holidays": row.holidays, "workdays": row.workdays, "source": source},
    )
    return row


async def custom_calendars(session: AsyncSession, from_year: int) -> dict[int, YearCalendar]:
    """Every administrator calendar from a year on, as the pure counting code takes them."""
    rows = await session.scalars(select(WorkCalendarYear).where(WorkCalendarYear.year >= from_year))
    return {
        row.year: YearCalendar(
            row.year,
            frozenset(rules.parse_calendar_days(row.year, row.holidays, "")[0]),
            frozenset(rules.parse_calendar_days(row.year, row.workdays, "")[0]),
        )
        for row in rows
    }
