"""Working-day windows across official holidays, adjusted workdays and uncovered years."""

from datetime import date

import pytest

from app.notices.workdays import YearCalendar, add_calendar_days, add_working_days, is_workday


def test_five_working_days_over_a_plain_week():
    # Mon 2024-03-04 .. Fri 2024-03-08
    assert add_working_days(date(2024, 3, 4), 5).end == date(2024, 3, 8)


def test_national_day_holiday_is_skipped():
    # 2025-09-30 (Tue) is a workday; Oct 1-8 2025 are holidays; Oct 11 (Sat) is an adjusted workday.
    end = add_working_days(date(2025, 9, 30), 3)
    assert end.end == date(2025, 10, 10)
    assert not end.assumed_weekdays


def test_adjusted_saturday_workday_counts():
    assert is_workday(date(2025, 9, 28)) == (True, "official")  # Sunday 调休 workday
    assert add_working_days(date(2025, 9, 26), 2).end == date(2025, 9, 28)


def test_uncovered_year_without_calendar_assumes_weekdays_and_says_so():
    end = add_working_days(date(2030, 1, 4), 2)  # Fri, then Mon
    assert end.end == date(2030, 1, 7)
    assert end.assumed_weekdays and "weekdays:2030" in end.sources


def test_uncovered_year_with_admin_calendar():
    cal = YearCalendar(2030, holidays=frozenset({date(2030, 1, 7)}), workdays=frozenset({date(2030, 1, 5)}))
    end = add_working_days(date(2030, 1, 4), 3, {2030: cal})  # Fri, Sat(workday), skip Mon(holiday), Tue
    assert end.end == date(2030, 1, 8)
    assert not end.assumed_weekdays


def test_calendar_days_window_matches_seed_000():
    # Seed 000: notice from 2022-03-04 runs to 2022-03-14 (11 calendar days inclusive).
    assert add_calendar_days(date(2022, 3, 4), 11).end == date(2022, 3, 14)


def test_impossible_calendars_are_refused():
    with pytest.raises(ValueError):
        YearCalendar(2030, holidays=frozenset({date(2031, 1, 1)}))
    with pytest.raises(ValueError):
        YearCalendar(2030, holidays=frozenset({date(2030, 1, 1)}), workdays=frozenset({date(2030, 1, 1)}))
    with pytest.raises(ValueError):
        add_working_days(date(2030, 1, 1), 0)
