"""A fairness audit of one outcome on approval ballots, exact (pure; money in whole units).

Measures, all under cost utilities (a voter's satisfaction = the cost of the funded projects they
approved) unless named otherwise:
- exclusion: voters with no funded project they approved (pabutools: 1 - percent_non_empty_handed);
- average satisfaction, and the distribution of how many funded projects each voter approved;
- the Gini coefficient of satisfaction (pabutools' formula, exactly);
- EJR up to one project: no group of voters, large enough to pay for projects T they all approve
  (|S| * budget >= n * cost(T)), in which every member would still have less than cost(T) even with
  the dearest unfunded project of T added. Found by growing T project by project, pruned by the
  size condition (supersets only shrink the group and raise the cost); undecided (None) beyond
  EJR_NODE_LIMIT sets of projects;
- money per category against votes per category, and pabutools' category_proportionality score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

EJR_NODE_LIMIT = 200_000


@dataclass(frozen=True)
class Profile:
    """Approval ballots merged by content, with project costs and optional categories."""

    costs: Mapping[str, int]
    budget: int
    ballots: Sequence[tuple[frozenset[str], int]]
    categories: Mapping[str, tuple[str, ...]]

    @property
    def n_voters(self) -> int:
        return sum(w for _, w in self.ballots)


def make_profile(
    costs: Mapping[str, int],
    budget: int,
    ballots: Sequence[frozenset[str]],
    categories: Mapping[str, tuple[str, ...]] | None = None,
) -> Profile:
    """Merge identical ballots."""
    merged: dict[frozenset[str], int] = {}
    for ballot in ballots:
        merged[ballot] = merged.get(ballot, 0) + 1
    return Profile(dict(costs), budget, tuple(merged.items()), dict(categories or {}))


def gini(values: Sequence[tuple[Fraction | int, int]]) -> Fraction:
    """pabutools' gini_coefficient over (value, multiplicity) pairs, exactly; 0 when all are 0."""
    # Equal values sit at neighbouring sorted positions whichever pair they came in, so they are merged first:
    # a round's 2,000 voters have a few dozen distinct satisfactions. Integer values stay integers to the end.
    merged: dict[Fraction | int, int] = {}
    for v, w in values:
        merged[v] = merged.get(v, 0) + w
    n = sum(merged.values())
    total = sum(v * w for v, w in merged.items())
    if n == 0 or total == 0:
        return Fraction(0)
    cum: Fraction | int = 0
    seen = 0
    for v in sorted(merged):
        w = merged[v]
        # sum over the w copies at sorted positions seen..seen+w-1 of v * (n - i)
        cum += v * (w * n - (seen * w + w * (w - 1) // 2))
        seen += w
    return Fraction(n + 1, n) - Fraction(2 * cum) / (total * n)


def ejr_up_to_one(profile: Profile, funded: frozenset[str], limit: int = EJR_NODE_LIMIT) -> bool | None:
    """Does the outcome satisfy EJR up to one project for cost utilities? None: not decided within the limit."""
    n, budget = profile.n_voters, profile.budget
    sat = [(sum(profile.costs[p] for p in b & funded), b, w) for b, w in profile.ballots]
    ids = sorted(profile.costs)
    nodes = 0

    def grow(start: int, chosen: list[str], cost: int, group: list[int]) -> bool | None:
        nonlocal nodes
        for k in range(start, len(ids)):
            p = ids[k]
            new_cost = cost + profile.costs[p]
            members = [g for g in group if p in sat[g][1]]
            size = sum(sat[g][2] for g in members)
            if not members or new_cost * n > size * budget:
                continue
            nodes += 1
            if nodes > limit:
                return None
            project_set = [*chosen, p]
            extra = max((profile.costs[q] for q in project_set if q not in funded), default=0)
            unhappy = sum(sat[g][2] for g in members if sat[g][0] + extra < new_cost)
            if unhappy * budget >= new_cost * n:
                return False
            found = grow(k + 1, project_set, new_cost, members)
            if found is not True:
                return found
        return True

    return grow(0, [], 0, list(range(len(sat))))


def _categories(profile: Profile, funded: frozenset[str]) -> dict[str, Any] | None:
    names = sorted({c for cats in profile.categories.values() for c in cats})
    if not names:
        return None
    money = dict.fromkeys(names, 0)
    votes = dict.fromkeys(names, 0)
    for p, cats in profile.categories.items():
        for c in cats:
            money[c] += profile.costs[p] if p in funded else 0
    total_votes = 0
    for ballot, w in profile.ballots:
        for p in ballot:
            total_votes += w
            for c in profile.categories.get(p, ()):
                votes[c] += w
    spent = sum(profile.costs[p] for p in funded)
    rows = [
        {
            "category": c,
            "money": money[c],
            "money_share": _share(money[c], spent),
            "votes": votes[c],
            "vote_share": _share(votes[c], total_votes),
        }
        for c in names
    ]
    return {"rows": rows, "proportionality": _proportionality(profile, funded, names)}


def _share(part: int, whole: int) -> str:
    return f"{Fraction(part, whole).numerator}/{Fraction(part, whole).denominator}" if whole else "0/1"


def _proportionality(profile: Profile, funded: frozenset[str], names: list[str]) -> float | None:
    """pabutools' category_proportionality: exp(-mean over categories of (funded share - ballots' share)^2)."""
    spent = sum(profile.costs[p] for p in funded)
    if not funded or spent == 0:
        return 0.0
    allocated = {c: sum(profile.costs[p] for p in funded if c in profile.categories.get(p, ())) / spent for c in names}
    wanted = dict.fromkeys(names, 0.0)
    for ballot, w in profile.ballots:
        cost = sum(profile.costs[p] for p in ballot)
        if cost == 0:
            return None  # pabutools refuses a profile with an empty (or free) ballot
        for c in names:
            wanted[c] += sum(profile.costs[p] for p in ballot if c in profile.categories.get(p, ())) / cost * w
    n = profile.n_voters
    return math.exp(-sum((allocated[c] - wanted[c] / n) ** 2 for c in names) / len(names))


def audit(profile: Profile, selected: Sequence[str], ejr_limit: int = EJR_NODE_LIMIT) -> dict[str, Any]:
    """The audit of one outcome, JSON-ready; exact values as "a/b" strings, counts as ints."""
    funded = frozenset(selected)
    n = profile.n_voters
    # Satisfactions are sums of integer costs: counted per value in ints, made Fractions only in the results.
    weight_of: dict[int, int] = {}
    hits: dict[int, int] = {}
    for b, w in profile.ballots:
        approved = b & funded
        satisfaction = sum(profile.costs[p] for p in approved)
        weight_of[satisfaction] = weight_of.get(satisfaction, 0) + w
        hits[len(approved)] = hits.get(len(approved), 0) + w
    excluded = hits.get(0, 0)
    pairs = list(weight_of.items())
    average = Fraction(sum(v * w for v, w in pairs), n) if n else Fraction(0)

    def text(x: Fraction) -> str:
        return f"{x.numerator}/{x.denominator}"

    return {
        "n_voters": n,
        "excluded_voters": excluded,
        "exclusion_ratio": text(Fraction(excluded, n) if n else Fraction(0)),
        "average_satisfaction": text(average),
        "average_funded_approved": text(Fraction(sum(k * w for k, w in hits.items()), n) if n else Fraction(0)),
        "funded_approved_distribution": {str(k): hits[k] for k in sorted(hits)},
        "gini_satisfaction": text(gini(pairs)),
        "ejr_up_to_one": ejr_up_to_one(profile, funded, ejr_limit),
        "categories": _categories(profile, funded),
    }
