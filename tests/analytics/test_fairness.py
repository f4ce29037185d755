"""The fairness audit against pabutools' own measures, on real files and on small random elections."""

import random
from fractions import Fraction
from pathlib import Path

import pytest
from pabutools.analysis import (
    avg_satisfaction,
    category_proportionality,
    gini_coefficient_of_satisfaction,
    percent_non_empty_handed,
)
from pabutools.analysis.justifiedrepresentation import is_EJR_one_approval
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project, parse_pabulib

from app.analytics.allocation import allocate
from app.analytics.fairness import audit, ejr_up_to_one, gini, make_profile
from app.analytics.pabulib import decode, parse, to_election

SHARED = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
APPROVAL_FILES = [
    SHARED / name
    for name in (
        "Netherlands_Assen_2024.pb",
        "Poland_Warszawa_2019_Sluzewiec.pb",
        "France_Toulouse_2022_2_-_Amidonniers_Compans-Caffarelli_Brouardel.pb",
    )
]


def frac(text: str) -> Fraction:
    return Fraction(text)


@pytest.mark.skipif(not all(p.is_file() for p in APPROVAL_FILES), reason=f"pabulib files not in {SHARED}")
@pytest.mark.parametrize("path", APPROVAL_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", ["greedy", "mes"])
def test_measures_agree_with_pabutools_on_real_files(path, rule):
    pb = parse(decode(path.read_bytes()))
    election = to_election(pb)
    assert election.money_scale == 1 or path.stem.startswith("France")
    selected = list(allocate(election.instance, election.ballots, rule, "lexico").selected)
    costs = {p.id: p.cost for p in election.instance.projects}
    cats = {r["project_id"]: tuple(c for c in r.get("category", "").split(",") if c) for r in pb.projects}
    ours = audit(make_profile(costs, election.instance.budget, list(election.ballots), cats), selected)
    instance, profile = parse_pabulib(str(path))
    chosen = [p for p in instance if p.name in set(selected)]
    scale = election.money_scale
    assert frac(ours["exclusion_ratio"]) == 1 - Fraction(percent_non_empty_handed(instance, profile, chosen))
    assert frac(ours["average_satisfaction"]) / scale == avg_satisfaction(instance, profile, chosen, Cost_Sat)
    assert frac(ours["gini_satisfaction"]) == gini_coefficient_of_satisfaction(instance, profile, chosen, Cost_Sat)
    if ours["categories"] is not None and "category" in pb.project_columns:
        assert ours["categories"]["proportionality"] == pytest.approx(
            category_proportionality(instance, profile, chosen), rel=1e-9
        )


def random_election(rng):
    ids = [f"p{k}" for k in range(rng.randint(1, 5))]
    costs = {p: rng.randint(1, 6) for p in ids}
    ballots = [frozenset(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(rng.randint(1, 6))]
    budget = rng.randint(1, sum(costs.values()))
    funded, spent = [], 0
    for p in rng.sample(ids, len(ids)):
        if spent + costs[p] <= budget and rng.random() < 0.6:
            funded.append(p)
            spent += costs[p]
    return ids, costs, ballots, budget, funded


@pytest.mark.parametrize("seed", range(60))
def test_ejr_up_to_one_agrees_with_pabutools(seed):
    ids, costs, ballots, budget, funded = random_election(random.Random(seed))
    projects = {p: Project(p, costs[p]) for p in ids}
    instance = Instance(projects.values(), budget_limit=budget)
    profile = ApprovalProfile([ApprovalBallot(projects[p] for p in b) for b in ballots], instance=instance)
    expected = is_EJR_one_approval(instance, profile, Cost_Sat, [projects[p] for p in funded])
    assert ejr_up_to_one(make_profile(costs, budget, ballots), frozenset(funded)) is expected


def test_ejr_violation_found_and_gini_by_hand():
    # Budget 8, 2 voters: voter 1 alone deserves 4 and approves a1, a2 (2 each); with nothing of
    # theirs funded, 0 + 2 < 4 even up to one project: EJR up to one fails. Funding a1 mends it.
    # Satisfactions 0 and 8: Gini (3 - 2*8/8)/2 = 1/2.
    profile = make_profile({"a1": 2, "a2": 2, "b": 8}, 8, [frozenset({"a1", "a2"}), frozenset({"b"})])
    assert ejr_up_to_one(profile, frozenset({"b"})) is False
    assert ejr_up_to_one(profile, frozenset({"a1"})) is True
    assert gini([(Fraction(0), 1), (Fraction(8), 1)]) == Fraction(1, 2)
    result = audit(profile, ["b"])
    assert (result["excluded_voters"], result["exclusion_ratio"], result["gini_satisfaction"]) == (1, "1/2", "1/2")
    assert result["funded_approved_distribution"] == {"0": 1, "1": 1}


@pytest.mark.parametrize("seed", range(5))
def test_gini_of_merged_or_split_values_is_the_per_voter_formula(seed):
    # The audit passes one pair per distinct satisfaction (ints); other callers pass a pair per ballot group
    # (Fractions, values repeated). Both are pabutools' formula over the voters one by one, exactly.
    rng = random.Random(seed)
    voters = [rng.choice([0, 0, 3, 5, 8, 13]) * rng.choice([1, 1, 2]) for _ in range(rng.randint(1, 60))]
    n, total = len(voters), sum(voters)
    by_hand = (
        Fraction(0)
        if total == 0
        else Fraction(n + 1, n) - Fraction(2 * sum((n - i) * v for i, v in enumerate(sorted(voters))), n * total)
    )
    split = [(Fraction(v), 1) for v in voters]
    merged: dict[int, int] = {}
    for v in voters:
        merged[v] = merged.get(v, 0) + 1
    assert gini(split) == gini(list(merged.items())) == gini(list(reversed(split))) == by_hand
