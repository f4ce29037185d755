"""Quorum and majority arithmetic at the exact edges the issue pins, and properties no example can cover."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.deliberation import rules
from app.deliberation.enums import MotionOutcome


def test_quorum_edges_with_30_representatives():
    assert rules.is_quorate(20, 30) is True  # exactly two thirds: "三分之二以上" includes the bound
    assert rules.is_quorate(19, 30) is False
    assert rules.quorum_needed(30) == 20


def test_default_base_counts_all_representatives_whatever_the_attendance():
    for present in range(20, 31):
        base = rules.majority_base_count("all", 30, present)
        assert rules.passes(16, base) is True
        assert rules.passes(15, base) is False


def test_present_base_with_20_present():
    base = rules.majority_base_count("present", 30, 20)
    assert base == 20
    assert rules.passes(11, base) is True
    assert rules.passes(10, base) is False


def test_empty_roster_is_never_quorate():
    assert rules.is_quorate(0, 0) is False


@given(st.integers(0, 10_000))
def test_a_tie_never_passes(half):
    """Exactly half of any even base never passes, under either base."""
    assert not rules.passes(half, 2 * half)


@given(st.integers(1, 10_000), st.data())
def test_votes_needed_is_the_smallest_passing_count(base, data):
    needed = rules.votes_needed(base)
    assert rules.passes(needed, base) and not rules.passes(needed - 1, base)
    votes = data.draw(st.integers(0, base))
    assert rules.passes(votes, base) == (votes >= needed)


@given(st.integers(1, 2_000), st.integers(1, 100), st.integers(1, 100), st.data())
def test_quorum_needed_is_the_smallest_quorate_attendance(total, num, den, data):
    num, den = min(num, den), max(num, den)
    needed = rules.quorum_needed(total, num, den)
    assert rules.is_quorate(needed, total, num, den)
    assert needed == 0 or not rules.is_quorate(needed - 1, total, num, den)
    attendance = data.draw(st.integers(0, total))
    assert rules.is_quorate(attendance, total, num, den) == (attendance >= needed)


@given(
    st.integers(0, 100),
    st.integers(0, 100),
    st.integers(0, 100),
    st.sampled_from(["all", "present"]),
    st.booleans(),
    st.booleans(),
)
def test_decide_passes_exactly_when_the_majority_is_reached(f, a, ab, base, defer, refer):
    total = f + a + ab + 10
    attendance = f + a + ab
    decision = rules.decide(f, a, ab, base=base, total=total, attendance=attendance, defer=defer, refer=refer)
    majority = rules.passes(f, total if base == "all" else attendance)
    assert (decision.outcome == MotionOutcome.passed) == majority
    if not majority:
        expected = MotionOutcome.referred if refer else MotionOutcome.deferred if defer else MotionOutcome.failed
        assert decision.outcome == expected


def test_result_text():
    d = rules.decide(16, 10, 2, base="all", total=30, attendance=28)
    assert rules.result_text(d) == "赞成16票，反对10票，弃权2票（基数30），通过"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), (2025, 4)),
        (date(2026, 3, 31), (2025, 4)),
        (date(2026, 4, 1), (2026, 1)),
        (date(2026, 11, 23), (2026, 3)),
    ],
)
def test_previous_quarter(day, expected):
    assert rules.previous_quarter(day) == expected


def test_quarter_bounds_in_shanghai():
    assert rules.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert rules.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    start, end = rules.shanghai_day_bounds_utc(date(2026, 1, 1), date(2026, 3, 31))
    assert start == datetime(2025, 12, 31, 16, tzinfo=UTC) and end == datetime(2026, 3, 31, 16, tzinfo=UTC)
