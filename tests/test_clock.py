"""The service reads time from app/core/clock.py alone, and moving that clock moves the whole service."""

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.common.models import utcnow
from app.core import clock

APP = Path(__file__).resolve().parents[1] / "app"
# Calls that read the system's wall clock; monotonic timers (durations, not dates) are allowed.
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def _wall_clock_calls(path: Path, root: Path = APP.parent) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in WALL_CLOCK
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} {node.func.value.id}.{node.func.attr}()")
    return found


def test_nothing_but_the_clock_reads_the_time():
    offenders = [
        hit for path in sorted(APP.rglob("*.py")) if path.name != "clock.py" for hit in _wall_clock_calls(path)
    ]
    assert offenders == [], "read the time through app.core.clock: " + ", ".join(offenders)


def test_the_scan_finds_a_stray_call(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text("from datetime import date\nx = date.today()\n", encoding="utf-8")
    assert _wall_clock_calls(stray, tmp_path) == ["stray.py:2 date.today()"]


@pytest.fixture
def moved():
    yield
    clock.reset()


def test_travel_moves_now_today_and_timestamps(moved):
    clock.travel_to(date(2025, 3, 4))
    assert clock.today() == date(2025, 3, 4)
    assert clock.now().astimezone(clock.SHANGHAI).hour == 10
    assert abs(utcnow() - clock.at_shanghai(date(2025, 3, 4))) < timedelta(seconds=5)
    assert abs(clock.timestamp() - clock.now().timestamp()) < 1
    clock.advance(timedelta(days=30))
    assert clock.today() == date(2025, 4, 3)
    assert clock.is_moved()
    clock.reset()
    assert not clock.is_moved()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_travel_refuses_a_naive_moment(moved):
    with pytest.raises(ValueError):
        clock.travel_to(datetime(2025, 1, 1, 12))


def test_travelling_returns_to_real_time():
    with clock.travelling(date(2020, 1, 1)):
        assert clock.today() == date(2020, 1, 1)
    assert not clock.is_moved()
