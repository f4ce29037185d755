"""Allocation rules: hand-computed examples, explanations, and equality with pabutools."""

import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat
from pabutools.election import Instance as PInstance
from pabutools.election import Project as PProject
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

from app.analytics.allocation import (
    LEXICO,
    VOTES_COST_ORDER,
    Ballot,
    Instance,
    Project,
    TieBreak,
    allocate,
    greedy,
    mes,
    mes_add1,
)

RULES = ("greedy", "mes", "mes-add1")


def make(budget, costs, orders=None):
    orders = orders or {}
    return Instance(budget, tuple(Project(pid, cost, orders.get(pid, 0)) for pid, cost in costs.items()))


def pabutools_winners(instance, ballots, rule, multiprofile=False):
    """pabutools' outcome (project names, in selection order) for one of our rules."""
    projects = {p.id: PProject(p.id, p.cost) for p in instance.projects}
    p_instance = PInstance(projects.values(), budget_limit=instance.budget)
    expanded = []
    for b in ballots:
        approved, weight = (b.approved, b.weight) if isinstance(b, Ballot) else (b, 1)
        expanded += [ApprovalBallot(projects[x] for x in approved) for _ in range(weight)]
    profile = ApprovalProfile(expanded, instance=p_instance)
    if multiprofile:  # same rule, identical ballots merged: faster on many voters
        profile = profile.as_multiprofile()
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(p_instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(p_instance, profile, sat_class=Cost_Sat)
    else:
        outcome = completion_by_rule_combination(
            p_instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
        )
    return tuple(p.name for p in outcome)


# --- greedy -------------------------------------------------------------------------------


def test_greedy_skips_what_no_longer_fits_and_continues():
    instance = make(10, {"A": 6, "B": 5, "C": 4})
    ballots = [{"A", "B", "C"}, {"A", "B"}, {"A"}]
    result = greedy(instance, ballots)
    assert result.selected == ("A", "C")
    assert result.cost == 10
    skipped = result.explanation("B")
    assert (skipped.selected, skipped.code, skipped.votes, skipped.cost) == (False, "not_enough_money", 2, 5)
    assert skipped.money_left == 4
    assert skipped.reason_en == "not enough money left after projects A: 0.04 yuan remaining, cost 0.05 yuan"
    assert skipped.reason_zh == "资金不足：已选项目 A 后余额为 0.04 元，少于成本 0.05 元"
    funded = result.explanation("C")
    assert (funded.selected, funded.position, funded.code) == (True, 2, "funded_greedy")
    assert "1 votes" in funded.reason_en and "按票数顺序入选" in funded.reason_zh


def test_greedy_project_dearer_than_the_whole_budget():
    result = greedy(make(5, {"A": 9}), [{"A"}])
    assert result.selected == ()
    assert result.explanation("A").reason_en == "not enough money: its cost 0.09 yuan exceeds the budget 0.05 yuan"


def test_tie_break_cost_then_order_versus_lexico():
    # Equal votes: the default prefers the cheaper project, lexico the smaller id.
    instance = make(6, {"x": 6, "y": 5})
    ballots = [{"x", "y"}]
    assert greedy(instance, ballots, VOTES_COST_ORDER).selected == ("y",)
    assert greedy(instance, ballots, LEXICO).selected == ("x",)
    # Equal votes and cost: the default prefers the earlier submission.
    instance = make(5, {"b": 5, "a": 5}, orders={"b": 0, "a": 1})
    ballots = [{"a", "b"}]
    assert allocate(instance, ballots, "greedy").selected == ("b",)
    assert allocate(instance, ballots, "greedy", "lexico").selected == ("a",)


def test_custom_tie_break_strategy_is_passed_in():
    dearest = TieBreak("dearest", lambda p, votes: (-p.cost, p.id))
    result = allocate(make(6, {"x": 6, "y": 5}), [{"x", "y"}], "greedy", dearest)
    assert result.selected == ("x",) and result.tie_break == "dearest"


def test_incompatible_group_in_greedy():
    instance = make(9, {"A": 3, "B": 3, "C": 3})
    ballots = [{"A", "B", "C"}, {"A", "B"}, {"A"}]
    result = greedy(instance, ballots, incompatible_groups=[{"A", "B"}])
    assert result.selected == ("A", "C")
    excluded = result.explanation("B")
    assert (excluded.code, excluded.excluded_by) == ("incompatible", "A")
    assert "incompatible with funded project A" in excluded.reason_en
    assert "与已入选项目 A 互斥" in excluded.reason_zh


# --- equal shares --------------------------------------------------------------------------


def payments_example():
    # 4 voters, budget 100: a share of 25 each.
    instance = make(100, {"X": 40, "Y": 30, "Z": 50})
    ballots = [{"X"}, {"X"}, {"X", "Y"}, {"Y", "Z"}]
    return instance, ballots


def test_mes_payments_hand_computed():
    instance, ballots = payments_example()
    result = mes(instance, ballots)
    # X: 3 supporters pay 40/3 each (factor 1/3 beats Y's 1/2); voter 3 keeps 35/3.
    # Y: voter 3 pays all 35/3, voter 4 pays 30 - 35/3 = 55/3. Z: voter 4 alone has 25 < 50.
    assert result.selected == ("X", "Y")
    assert result.voter_budget == 25
    x, y, z = (result.explanation(p) for p in "XYZ")
    assert x.payment.per_supporter == Fraction(40, 3)
    assert (x.payment.full_payers, x.payment.partial_payers) == (3, 0)
    assert y.payment.per_supporter == Fraction(55, 3)
    assert (y.payment.full_payers, y.payment.partial_payers, y.payment.partial_total) == (1, 1, Fraction(35, 3))
    assert x.reason_en == (
        "funded by equal shares (each voter's share 0.25 yuan): 3 supporters paid about 0.13 yuan each"
    )
    assert x.reason_zh == "均等份额法入选（每位投票人份额 0.25 元）：3 位支持者各付 约 0.13 元"
    assert "1 supporter with less left paid all they had (about 0.12 yuan in total)" in y.reason_en
    assert (z.selected, z.code, z.money_left) == (False, "supporters_cannot_afford", 25)
    assert z.reason_en == (
        "under equal shares (each voter's share 0.25 yuan) its supporters had only 0.25 yuan left, "
        "less than its cost 0.50 yuan"
    )
    assert pabutools_winners(instance, ballots, "mes") == result.selected


def test_mes_tie_broken_both_ways():
    # Both projects cost each of the 2 voters half of the price per unit: an exact tie.
    instance = make(10, {"p": 10, "q": 4})
    ballots = [{"p", "q"}, {"p", "q"}]
    assert mes(instance, ballots, VOTES_COST_ORDER).selected == ("q",)  # cheaper first
    assert mes(instance, ballots, LEXICO).selected == ("p",)
    assert pabutools_winners(instance, ballots, "mes") == ("p",)


def test_mes_add1_raises_shares_until_exhaustive():
    instance = make(100, {"A": 60, "B": 40})
    ballots = [{"A", "B"}, {"A", "B"}, {"A"}, {"A"}]
    assert mes(instance, ballots).selected == ("A",)
    result = mes_add1(instance, ballots)
    # At a share of 35, after A (15 each) voters 1 and 2 hold exactly B's 40.
    assert result.selected == ("A", "B") and result.voter_budget == 35
    assert pabutools_winners(instance, ballots, "mes-add1") == result.selected


def test_mes_add1_keeps_last_feasible_outcome_then_completes_greedily():
    instance = make(100, {"A": 60, "B": 50, "C": 30})
    ballots = [{"A", "B"}, {"A", "B"}, {"A", "C"}, {"A"}]
    result = mes_add1(instance, ballots)
    # At 40 equal shares would also buy B (cost 110 > 100), so the outcome at 39 is kept: A only;
    # the greedy completion then skips B (50 > 40 left) and funds C.
    assert result.voter_budget == 39
    assert result.selected == ("A", "C")
    b, c = result.explanation("B"), result.explanation("C")
    assert (b.code, b.money_left) == ("not_enough_money", 40)
    assert "its supporters had only 0.48 yuan left" in b.reason_en
    assert "not enough money left after projects A: 0.40 yuan remaining, cost 0.50 yuan" in b.reason_en
    assert "已选项目 A 后余额为 0.40 元" in b.reason_zh
    assert c.code == "funded_greedy" and "greedy completion" in c.reason_en
    assert pabutools_winners(instance, ballots, "mes-add1") == result.selected


def test_mes_incompatible_group_excludes_the_later_project():
    instance, ballots = payments_example()
    result = mes(instance, ballots, incompatible_groups=[("X", "Y")])
    assert result.selected == ("X",)
    assert result.explanation("Y").excluded_by == "X"


def test_no_votes_and_free_projects():
    instance = make(10, {"A": 5, "F": 0, "N": 3})
    ballots = [{"A", "F"}, {"A"}]
    result = mes(instance, ballots)
    # Cost utilities give a free project no utility: equal shares (like pabutools) leaves it.
    assert result.selected == ("A",) == pabutools_winners(instance, ballots, "mes")
    assert result.explanation("F").code == "free_project"
    assert result.explanation("N").code == "no_votes"
    # Greedy, alone or as the completion, funds free projects and projects without votes when money
    # is left, as pabutools does (it orders zero-cost projects differently, hence the sets).
    for rule in ("greedy", "mes-add1"):
        assert set(allocate(instance, ballots, rule).selected) == {"A", "F", "N"}
        assert set(pabutools_winners(instance, ballots, rule)) == {"A", "F", "N"}


def test_weighted_ballots_equal_repeated_ballots():
    instance = make(90, {"A": 40, "B": 30, "C": 50})
    repeated = [{"A"}] * 3 + [{"B", "C"}] * 2 + [{"C"}]
    weighted = [Ballot(frozenset({"A"}), 3), Ballot(frozenset({"B", "C"}), 2), ("C",)]
    for rule in RULES:
        assert allocate(instance, weighted, rule).selected == allocate(instance, repeated, rule).selected


def test_result_to_dict_is_json_with_exact_fractions():
    instance, ballots = payments_example()
    data = allocate(instance, ballots, "mes").to_dict()
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    assert json.loads(text) == data
    assert data["voter_budget"] == "25/1"
    assert data["explanations"][0]["payment"]["per_supporter"] == "40/3"
    assert [e["project_id"] for e in data["explanations"]] == ["X", "Y", "Z"]
    assert data == allocate(instance, ballots, "mes").to_dict()  # deterministic


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule": "borda"}, "unknown rule"),
        ({"rule": "mes", "tie_break": "random"}, "unknown tie-break"),
        ({"rule": "mes", "ballots": [{"A", "nope"}]}, "unknown project 'nope'"),
        ({"rule": "mes", "incompatible_groups": [{"A", "nope"}]}, "unknown project 'nope'"),
        ({"rule": "mes", "ballots": ["AB"]}, "got a string"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    args = {"instance": make(10, {"A": 5, "B": 5}), "ballots": [{"A"}], **kwargs}
    with pytest.raises(ValueError, match=message):
        allocate(**args)


def test_invalid_plain_data_is_rejected():
    with pytest.raises(ValueError):
        Project("A", -1)
    with pytest.raises(ValueError):
        Project("A", 1.5)
    with pytest.raises(ValueError):
        Instance(10, (Project("A", 1), Project("A", 2)))
    with pytest.raises(ValueError):
        Ballot(frozenset({"A"}), 0)


def test_no_voters():
    instance = make(10, {"A": 4, "B": 4})
    assert mes(instance, []).selected == ()
    assert mes_add1(instance, []).selected == ("A", "B")  # the greedy completion still spends
    assert pabutools_winners(instance, [], "mes-add1") == ("A", "B")


# --- properties ------------------------------------------------------------------------------

IDS = ["a", "b", "B", "c", "10", "2", "p1", "p10", "p2", "x"]


@st.composite
def elections(draw, min_cost=1):
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True))
    costs = {pid: draw(st.integers(min_cost, 60)) for pid in ids}
    budget = draw(st.integers(0, sum(costs.values())))
    orders = {pid: draw(st.integers(0, 3)) for pid in ids}
    ballots = draw(
        st.lists(
            st.builds(Ballot, st.frozensets(st.sampled_from(ids)), st.integers(1, 3)),
            max_size=8,
        )
    )
    return make(budget, costs, orders), ballots


PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(elections())
def test_lexico_winners_equal_pabutools(election):
    instance, ballots = election
    for rule in RULES:
        assert allocate(instance, ballots, rule, "lexico").selected == pabutools_winners(instance, ballots, rule)


@PROPERTY_SETTINGS
@given(elections(min_cost=0), st.sampled_from(["default", "lexico"]), st.data())
def test_never_over_budget_and_groups_respected(election, tie_break, data):
    instance, ballots = election
    ids = [p.id for p in instance.projects]
    groups = data.draw(st.lists(st.frozensets(st.sampled_from(ids), min_size=1), max_size=2))
    costs = {p.id: p.cost for p in instance.projects}
    for rule in RULES:
        result = allocate(instance, ballots, rule, tie_break, groups)
        assert result.cost == sum(costs[p] for p in result.selected) <= instance.budget
        assert len(set(result.selected)) == len(result.selected)
        for group in groups:
            assert len(group & set(result.selected)) <= 1
        assert [e.project_id for e in result.explanations] == ids
        assert all(e.selected == (e.project_id in result.selected) for e in result.explanations)
        assert all(e.reason_en and e.reason_zh for e in result.explanations)
        if rule != "mes":  # greedy and the completed rule leave nothing that still fits
            left = instance.budget - result.cost
            for e in result.explanations:
                assert e.selected or e.code == "incompatible" or e.cost > left


@st.composite
def crowded_elections(draw):
    """More voters sharing a few ballots, costs from a short list: many exact ties and budget classes."""
    ids = [f"p{i}" for i in range(draw(st.integers(2, 10)))]
    prices = draw(st.lists(st.integers(1, 30), min_size=1, max_size=3))
    costs = {pid: draw(st.sampled_from(prices)) * 10 for pid in ids}
    patterns = draw(st.lists(st.frozensets(st.sampled_from(ids), min_size=1), min_size=1, max_size=8))
    ballots = [Ballot(b, draw(st.integers(1, 25))) for b in patterns]
    budget = draw(st.integers(0, sum(costs.values())))
    return make(budget, costs), ballots


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crowded_elections())
def test_lexico_winners_equal_pabutools_with_many_voters(election):
    instance, ballots = election
    for rule in RULES:
        expected = pabutools_winners(instance, ballots, rule, multiprofile=True)
        assert allocate(instance, ballots, rule, "lexico").selected == expected


def test_vectorised_grouping_and_outcome_only_change_nothing(monkeypatch):
    """Many ballots are grouped by packed approval sets (numpy), few one by one: the same profile and the
    same result, weights, repeats, empty ballots and more than 64 projects included; explain=False gives
    the same outcome without explanations; a bad ballot is still refused by name on the vectorised path."""
    from app.analytics import allocation

    ids = [f"p{j}" for j in range(70)]
    instance = make(400, {pid: 10 + 7 * (j % 9) for j, pid in enumerate(ids)})
    ballots = []
    for i in range(300):
        approved = frozenset(ids[(i * k) % 70] for k in range(1, 1 + i % 6))
        ballots.append(Ballot(approved, 1 + i % 3) if i % 4 == 0 else approved)
    results = {}
    for many in (0, 10**9):
        monkeypatch.setattr(allocation, "_MANY", many)
        results[many] = [allocate(instance, ballots, rule, "lexico").to_dict() for rule in RULES]
        for rule, full in zip(RULES, results[many], strict=True):
            bare = allocate(instance, ballots, rule, "lexico", explain=False)
            assert list(bare.selected) == full["selected"] and bare.explanations == ()
    assert results[0] == results[10**9]
    monkeypatch.setattr(allocation, "_MANY", 0)
    with pytest.raises(ValueError, match="ballot 1 approves unknown project 'nope'"):
        allocate(instance, [{"p1"}, {"nope"}], "mes")


def test_voter_bits_state_runs_equal_shares_exactly_as_the_group_state():
    """Few set ballots run on one bit per voter (voter_bits.VoterBits); the same profile without the masks runs
    on the per-group state: every run, payments and drops included, is the same, at several voter budgets."""
    import random
    from fractions import Fraction

    from app.analytics.allocation import LEXICO, _prepare
    from app.analytics.equal_shares import GroupedProfile, equal_shares

    rng = random.Random(20261207)
    for _ in range(40):
        ids = [f"p{j}" for j in range(rng.randint(2, 12))]
        instance = make(rng.randint(50, 400), {pid: rng.randint(0, 120) for pid in ids})
        ballots = [frozenset(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(rng.randint(1, 60))]
        prep = _prepare(instance, ballots, LEXICO, ())
        bits = prep.profile
        assert bits.masks is not None
        groups = GroupedProfile(bits.costs, bits.support, bits.n_voters, small=bits._lists())
        for share in (Fraction(instance.budget, bits.n_voters), Fraction(instance.budget + 37, bits.n_voters)):
            assert equal_shares(bits, share, prep.rank, prep.conflicts) == equal_shares(
                groups, share, prep.rank, prep.conflicts
            )
