"""Participant selection: invitations, quotas and a seeded draw that anyone can reproduce."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.deliberation.enums import SelectionMethod
from app.deliberation.selection import Candidate, Quota, SelectionError, select_participants


def pool(n: int, groups=("老年人", "租户", None)) -> list[Candidate]:
    return [Candidate(f"c{i:03d}", groups[i % len(groups)], False) for i in range(n)]


def test_same_seed_same_participants_whatever_the_order():
    people = pool(40)
    a = select_participants(people, 10, [Quota("老年人", 3)], seed=20250401)
    b = select_participants(list(reversed(people)), 10, [Quota("老年人", 3)], seed=20250401)
    assert a == b and len(a.chosen) == 10
    c = select_participants(people, 10, [Quota("老年人", 3)], seed=20250402)
    assert c.chosen != a.chosen


def test_invited_first_then_quotas_then_random():
    people = [*pool(30), Candidate("inv1", None, True), Candidate("inv2", "租户", True)]
    result = select_participants(people, 8, [Quota("老年人", 2), Quota("租户", 1)], seed=7)
    methods = list(result.chosen.values())
    assert methods.count(SelectionMethod.invitation) == 2
    assert methods.count(SelectionMethod.quota) == 3
    assert methods.count(SelectionMethod.random) == 3
    groups = {c.id: c.group for c in people}
    quota_groups = sorted(groups[i] for i, m in result.chosen.items() if m == SelectionMethod.quota)
    assert quota_groups == ["租户", "老年人", "老年人"]


def test_quota_shortfall_goes_to_the_general_draw():
    people = [Candidate("a", "楼道长", False), *pool(10, groups=(None,))]
    result = select_participants(people, 5, [Quota("楼道长", 3)], seed=1)
    assert result.shortfalls == {"楼道长": 2} and len(result.chosen) == 5
    assert result.chosen["a"] == SelectionMethod.quota


def test_seats_cannot_hold_the_reservations():
    with pytest.raises(SelectionError):
        select_participants([Candidate("i", None, True)] * 1 + pool(5), 3, [Quota("老年人", 3)], seed=1)


@given(st.integers(0, 60), st.integers(1, 30), st.integers(0, 2**63 - 1))
def test_never_more_than_the_seats_and_always_reproducible(n, seats, seed):
    people = pool(n)
    a = select_participants(people, seats, [], seed)
    assert len(a.chosen) == min(seats, n) and set(a.chosen) <= {c.id for c in people}
    assert select_participants(people, seats, [], seed) == a
