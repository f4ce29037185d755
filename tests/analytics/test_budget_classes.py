"""The numpy budget-class state (large profiles) against the plain per-group state (small profiles).

_SmallState keeps one exact budget per ballot group and walks them one by one in Python: the reference.
BudgetClasses walks classes in floats and settles in integers; any shortcut that changed a price, a
payment, a drop or a tie would make these runs differ.
"""

import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.analytics import budget_classes, equal_shares
from app.analytics.equal_shares import GroupedProfile, UnresolvedTie, group_profile, small_lists


def _run(profile, share, rank, conflicts, small: bool):
    """(run, trace) or the tie raised, with the state forced to _SmallState or BudgetClasses."""
    trace: list = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(equal_shares, "_SMALL", 10**9 if small else -1)
        try:
            return equal_shares.equal_shares(profile, share, rank, conflicts, trace), trace
        except UnresolvedTie as exc:
            return "tie", exc.projects


@st.composite
def profiles(draw):
    """Few projects and costs, many ballot patterns and weights: budget classes split and merge values,
    partial payments, unaffordable projects and ties between equally ranked projects all occur."""
    m = draw(st.integers(1, 9))
    costs = [draw(st.sampled_from([0, 7, 10, 12, 30, 45, 60, 99])) for _ in range(m)]
    groups: dict[frozenset[int], int] = {}
    for ballot in draw(st.lists(st.frozensets(st.integers(0, m - 1)), min_size=1, max_size=40)):
        groups[ballot] = groups.get(ballot, 0) + draw(st.integers(1, 6))
    n_voters = sum(groups.values())
    budget = draw(st.integers(0, sum(costs) + 20))
    share = Fraction(budget, n_voters) + Fraction(draw(st.integers(0, 5)), draw(st.integers(1, 7)))
    rank = [draw(st.integers(0, m)) for _ in range(m)]
    conflicts = [frozenset() for _ in range(m)]
    if m > 2 and draw(st.booleans()):
        conflicts[0], conflicts[1] = frozenset({1}), frozenset({0})
    return group_profile(costs, groups, n_voters), share, rank, conflicts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_budget_classes_run_equal_shares_exactly_as_the_per_group_state(case):
    profile, share, rank, conflicts = case
    assert _run(profile, share, rank, conflicts, small=False) == _run(profile, share, rank, conflicts, small=True)


class _BlindFloats(budget_classes.BudgetClasses):
    """Every class's float the same: the order and the walk must come from the exact values alone."""

    def rho(self, p):
        self.flo[: self.n] = 1.0
        return super().rho(p)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_floats_only_guide_the_walk(case):
    """With no usable floats (every class equal, the floats' guess wrong), the exact settling still
    finds every price: the floats save time, they never decide."""
    profile, share, rank, conflicts = case
    expected = _run(profile, share, rank, conflicts, small=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(equal_shares, "BudgetClasses", _BlindFloats)
        assert _run(profile, share, rank, conflicts, small=False) == expected


def test_large_profiles_agree_with_the_per_group_state():
    """Hundreds of distinct ballots (the default path for them) at several budgets, thousands of classes'
    worth of splits: the same runs as the per-group reference, step by step."""
    rng = random.Random(26_150_000)
    for _ in range(6):
        m = rng.randint(12, 40)
        costs = [rng.randint(1, 50) * 1000 for _ in range(m)]
        groups: dict[frozenset[int], int] = {}
        for _ in range(rng.randint(300, 700)):
            ballot = frozenset(rng.sample(range(m), rng.randint(1, 8)))
            groups[ballot] = groups.get(ballot, 0) + rng.randint(1, 4)
        n_voters = sum(groups.values())
        profile = group_profile(costs, groups, n_voters)
        assert profile.n_groups > equal_shares._SMALL
        # the same profile as lists, which the per-group state walks
        lists = GroupedProfile(profile.costs, profile.support, n_voters, small=small_lists(m, groups, list(groups)))
        rank = rng.sample(range(m), m)
        conflicts = [frozenset() for _ in range(m)]
        for extra in (0, 7, 131):
            share = Fraction(sum(costs) // 3 + extra, n_voters)
            fast = _run(profile, share, rank, conflicts, small=False)
            assert fast == _run(lists, share, rank, conflicts, small=True)
            assert fast[0] != "tie" and fast[0].selected
