"""Participatory budgeting allocation rules (greedy, equal shares, equal shares + add1) on plain data.

Money is integer units (fen) and every computation is exact (int / Fraction). With the `lexico`
tie-break the winners equal pabutools': `greedy_utilitarian_welfare` and `method_of_equal_shares`
with `sat_class=Cost_Sat`, and for "mes-add1" `method_of_equal_shares(voter_budget_increment=1)`
completed by `greedy_utilitarian_welfare` (via `completion_by_rule_combination`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain
from typing import Any, cast

import numpy as np

from app.analytics import allocation_text as text
from app.analytics.allocation_model import (
    LEXICO,
    TIE_BREAKS,
    VOTES_COST_ORDER,
    AllocationResult,
    Ballot,
    Instance,
    Payment,
    Project,
    ProjectExplanation,
    TieBreak,
    fraction_text,
)
from app.analytics.equal_shares import (
    GroupedProfile,
    Leaper,
    MesRun,
    Small,
    Step,
    equal_shares,
    group_arrays,
    group_profile,
    is_exhaustive,
    same_between,
    small_lists,
)

__all__ = [
    "LEXICO",
    "RULES",
    "TIE_BREAKS",
    "VOTES_COST_ORDER",
    "AllocationResult",
    "Ballot",
    "Instance",
    "Payment",
    "Project",
    "ProjectExplanation",
    "TieBreak",
    "allocate",
    "fraction_text",
    "greedy",
    "mes",
    "mes_add1",
]

BallotLike = Ballot | Iterable[str]
RULES = ("greedy", "mes", "mes-add1")


@dataclass(frozen=True)
class _Prepared:
    instance: Instance
    tie_break: TieBreak
    profile: GroupedProfile
    conflicts: tuple[frozenset[int], ...]
    rank: tuple[int, ...]
    greedy_order: tuple[int, ...]

    @property
    def votes(self) -> tuple[int, ...]:
        return self.profile.support

    def ids(self, indices: Iterable[int]) -> list[str]:
        return [self.instance.projects[i].id for i in indices]


def _prepare(
    instance: Instance,
    ballots: Sequence[BallotLike],
    tie_break: TieBreak,
    incompatible_groups: Iterable[Iterable[str]],
) -> _Prepared:
    profile, conflicts = _grouped(instance, ballots, incompatible_groups)
    keyed = sorted(
        range(len(instance.projects)),
        key=lambda i: tie_break.key(instance.projects[i], profile.support[i]),
    )
    rank = [0] * len(keyed)
    for position, i in enumerate(keyed):
        rank[i] = position
    # Greedy goes by votes first; the tie-break only orders projects with equal votes.
    order = sorted(keyed, key=lambda i: (-profile.support[i], rank[i]))
    return _Prepared(instance, tie_break, profile, conflicts, tuple(rank), tuple(order))


def _grouped(
    instance: Instance, ballots: Sequence[BallotLike], incompatible_groups: Iterable[Iterable[str]]
) -> tuple[GroupedProfile, tuple[frozenset[int], ...]]:
    """The grouped profile and, per project index, the projects it conflicts with."""
    index = {p.id: i for i, p in enumerate(instance.projects)}
    costs = [p.cost for p in instance.projects]
    profile = _group_many(costs, ballots, index) if len(ballots) >= _MANY else _group_bits(costs, ballots, index)
    if profile is None:
        profile = _group_each(costs, ballots, index)
    conflicts: list[set[int]] = [set() for _ in instance.projects]
    for group in incompatible_groups:
        members = {index[pid] for pid in group if pid in index}
        unknown = [pid for pid in group if pid not in index]
        if unknown:
            raise ValueError(f"incompatible group names unknown project {unknown[0]!r}")
        for p in members:
            conflicts[p] |= members - {p}
    return profile, tuple(map(frozenset, conflicts))


# From this many ballots on, grouping is vectorised (numpy over packed approval sets).
_MANY = 2000


def _group_many(costs: list[int], ballots: Sequence[BallotLike], index: dict[str, int]) -> GroupedProfile | None:
    """The grouped profile of many set ballots in a few array operations; None when some ballot is not a
    set of known ids (the ballot-by-ballot path then says which)."""
    approved: list[Any] = [b.approved if isinstance(b, Ballot) else b for b in ballots]
    if not all(type(a) in (frozenset, set) for a in approved):
        return None
    lens = np.fromiter(map(len, approved), dtype=np.int64, count=len(approved))
    try:
        flat = np.fromiter(map(index.__getitem__, chain.from_iterable(approved)), dtype=np.int64, count=int(lens.sum()))
    except KeyError:
        return None
    weights = np.fromiter(
        (b.weight if isinstance(b, Ballot) else 1 for b in ballots), dtype=np.int64, count=len(approved)
    )
    return group_arrays(costs, lens, flat, weights)


def _group_bits(costs: list[int], ballots: Sequence[BallotLike], index: dict[str, int]) -> GroupedProfile | None:
    """Fewer than _MANY ballots that are all frozensets: identical ones counted in C, each voter one bit
    of its projects' supporter masks (equal shares then runs on voter_bits.VoterBits); the groups'
    lists and arrays are made only if something asks for them. None otherwise, or for an unknown id
    (the ballot-by-ballot path then says which)."""
    if set(map(type, ballots)) != {frozenset}:
        return None
    counted = Counter(cast("Sequence[frozenset[str]]", ballots))
    if not index.keys() >= set().union(*counted):
        return None
    masks = dict.fromkeys(index, 0)
    start = 0
    for approved, weight in counted.items():
        bits = ((1 << weight) - 1) << start
        start += weight
        for pid in approved:
            masks[pid] |= bits
    supporters = tuple(masks.values())

    def lists() -> Small:
        # ids map to indices one to one, so distinct ballots stay distinct, in order of first appearance
        groups = {frozenset(map(index.__getitem__, approved)): w for approved, w in counted.items() if approved}
        return small_lists(len(costs), groups, list(groups))

    support = tuple(m.bit_count() for m in supporters)
    return GroupedProfile(tuple(costs), support, len(ballots), small=lists, masks=supporters)


def _group_each(costs: list[int], ballots: Sequence[BallotLike], index: dict[str, int]) -> GroupedProfile:
    groups: dict[frozenset[int], int] = {}
    n_voters = 0
    to_index = index.__getitem__
    for number, ballot in enumerate(ballots):
        approved, weight = (ballot.approved, ballot.weight) if isinstance(ballot, Ballot) else (ballot, 1)
        if isinstance(approved, str):
            raise ValueError(f"ballot {number}: expected a collection of project ids, got a string")
        try:
            key = frozenset(map(to_index, approved))
        except KeyError as exc:
            raise ValueError(f"ballot {number} approves unknown project {exc.args[0]!r}") from None
        groups[key] = groups.get(key, 0) + weight
        n_voters += weight
    return group_profile(costs, groups, n_voters)


@dataclass
class _Fill:
    """Greedy pass: funded indices plus, per skipped project, (money left, funded before, excluder)."""

    funded: list[int]
    left_before: dict[int, int]
    skipped: dict[int, tuple[int, int, int | None]]


def _greedy_fill(prep: _Prepared, funded: list[int]) -> _Fill:
    costs = prep.profile.costs
    funded = list(funded)
    left = prep.instance.budget - sum(costs[p] for p in funded)
    taken = set(funded)
    fill = _Fill(funded, {}, {})
    for p in prep.greedy_order:
        if p in taken:
            continue
        excluder = next((q for q in funded if q in prep.conflicts[p]), None)
        if excluder is not None or costs[p] > left:
            fill.skipped[p] = (left, len(funded), excluder)
            continue
        fill.left_before[p] = left
        funded.append(p)
        taken.add(p)
        left -= costs[p]
    return fill


def _explain(
    prep: _Prepared, p: int, funded: Sequence[int], code: str, reason: tuple[str, str], **extra: object
) -> ProjectExplanation:
    project = prep.instance.projects[p]
    position = funded.index(p) + 1 if p in funded else None
    return ProjectExplanation(
        project_id=project.id,
        votes=prep.votes[p],
        cost=project.cost,
        selected=position is not None,
        code=code,
        reason_en=reason[0],
        reason_zh=reason[1],
        position=position,
        **extra,  # type: ignore[arg-type]
    )


def _skip_reason(prep: _Prepared, p: int, fill: _Fill) -> tuple[str, tuple[str, str], dict[str, object]]:
    left, n_before, excluder = fill.skipped[p]
    if excluder is not None:
        by = prep.instance.projects[excluder].id
        return "incompatible", text.incompatible(by), {"excluded_by": by}
    before = prep.ids(fill.funded[:n_before])
    reason = text.not_enough_money(prep.profile.costs[p], left, before)
    return "not_enough_money", reason, {"money_left": Fraction(left)}


def _result(
    prep: _Prepared,
    rule: str,
    funded: Sequence[int],
    explanations: list[ProjectExplanation],
    share: Fraction | None,
    variant: dict[str, Any] | None = None,
) -> AllocationResult:
    return AllocationResult(
        rule=rule,
        tie_break=prep.tie_break.name,
        budget=prep.instance.budget,
        n_voters=prep.profile.n_voters,
        selected=tuple(prep.ids(funded)),
        cost=sum(prep.profile.costs[p] for p in funded),
        explanations=tuple(explanations),
        voter_budget=share,
        variant=variant,
    )


def _greedy(prep: _Prepared, explain: bool = True) -> AllocationResult:
    fill = _greedy_fill(prep, [])
    out = []
    for p in range(len(prep.instance.projects)) if explain else ():
        if p in fill.left_before:
            reason = text.funded_greedy(prep.votes[p], prep.profile.costs[p], fill.left_before[p], "greedy")
            extra: dict[str, Any] = {"money_left": Fraction(fill.left_before[p])}
            out.append(_explain(prep, p, fill.funded, "funded_greedy", reason, **extra))
        else:
            code, reason, extra = _skip_reason(prep, p, fill)
            out.append(_explain(prep, p, fill.funded, code, reason, **extra))
    return _result(prep, "greedy", fill.funded, out, None)


def _mes_reason(prep: _Prepared, run: MesRun, p: int, share: Fraction) -> tuple[str, tuple[str, str], dict[str, Any]]:
    """Why equal shares did (not) fund p: (code, reason, extra explanation fields)."""
    if p in run.payments:
        price, full, partial, partial_total = run.payments[p]
        payment = Payment(price, full, partial, partial_total)
        return "funded_equal_shares", text.funded_equal_shares(payment, share), {"payment": payment}
    if p in run.excluded:
        by = prep.instance.projects[run.excluded[p]].id
        return "incompatible", text.incompatible(by), {"excluded_by": by}
    if p in run.dropped:
        left, n_before = run.dropped[p]
        reason = text.shares_too_small(left, prep.profile.costs[p], share, prep.ids(run.selected[:n_before]))
        return "supporters_cannot_afford", reason, {"money_left": left}
    if prep.profile.costs[p] == 0:
        return "free_project", text.free_project(), {}
    return "no_votes", text.no_votes(), {}


def _share(prep: _Prepared) -> Fraction:
    n = prep.profile.n_voters
    return Fraction(prep.instance.budget, n) if n else Fraction(0)


def _mes(prep: _Prepared, explain: bool = True) -> AllocationResult:
    share = _share(prep)
    run = equal_shares(prep.profile, share, prep.rank, prep.conflicts)
    out = []
    for p in range(len(prep.instance.projects)) if explain else ():
        code, reason, extra = _mes_reason(prep, run, p, share)
        out.append(_explain(prep, p, run.selected, code, reason, **extra))
    return _result(prep, "mes", run.selected, out, share)


def _mes_add1(prep: _Prepared, increment: int, explain: bool = True) -> AllocationResult:
    budget = prep.instance.budget
    share = _share(prep)
    previous: tuple[MesRun, Fraction] | None = None
    trace: list[Step] = []
    leaper = Leaper(prep.profile, prep.rank, prep.conflicts, increment)
    run = equal_shares(prep.profile, share, prep.rank, prep.conflicts, trace)
    while True:
        if run.cost > budget and previous is not None:
            run, share = previous  # keep the last outcome that fitted the real budget
            break
        if is_exhaustive(run, prep.profile, budget, prep.conflicts):
            break
        if run.cost <= budget:
            # Raises that certainly select the same projects pass the same tests: one leap takes them.
            leapt, there, trace = leaper.farthest(share, trace)
            if there is not None:
                run, share = there, share + leapt * increment
        previous = (run, share)
        after: list[Step] = []
        run = equal_shares(prep.profile, share + increment, prep.rank, prep.conflicts, after)
        leaper.stepped(same_between(trace, after, prep.profile.costs, prep.rank))
        share, trace = share + increment, after
    fill = _greedy_fill(prep, run.selected)
    out = []
    for p in range(len(prep.instance.projects)) if explain else ():
        code, reason, extra = _mes_reason(prep, run, p, share)
        if p in fill.left_before:
            completion = text.funded_greedy(prep.votes[p], prep.profile.costs[p], fill.left_before[p], "completion")
            code, reason = "funded_greedy", text.join(reason, completion) if code != "no_votes" else completion
            extra = {"money_left": Fraction(fill.left_before[p])}
        elif p in fill.skipped and code not in ("incompatible",):
            skip_code, skip_reason, skip_extra = _skip_reason(prep, p, fill)
            code, reason = skip_code, text.join(reason, skip_reason)
            extra = {**extra, **skip_extra}
        out.append(_explain(prep, p, fill.funded, code, reason, **extra))
    return _result(prep, "mes-add1", fill.funded, out, share)


def _strategy(tie_break: str | TieBreak) -> TieBreak:
    if isinstance(tie_break, TieBreak):
        return tie_break
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"unknown tie-break {tie_break!r}; expected one of {sorted(TIE_BREAKS)}")
    return TIE_BREAKS[tie_break]


def greedy(
    instance: Instance,
    ballots: Sequence[BallotLike],
    tie_break: TieBreak = VOTES_COST_ORDER,
    incompatible_groups: Iterable[Iterable[str]] = (),
    *,
    explain: bool = True,
) -> AllocationResult:
    """Fund projects by votes, skipping any that no longer fits or conflicts with a funded one."""
    return _greedy(_prepare(instance, ballots, tie_break, incompatible_groups), explain)


def mes(
    instance: Instance,
    ballots: Sequence[BallotLike],
    tie_break: TieBreak = VOTES_COST_ORDER,
    incompatible_groups: Iterable[Iterable[str]] = (),
    *,
    explain: bool = True,
) -> AllocationResult:
    """Method of Equal Shares with cost utilities; each voter starts with budget / voters."""
    return _mes(_prepare(instance, ballots, tie_break, incompatible_groups), explain)


def mes_add1(
    instance: Instance,
    ballots: Sequence[BallotLike],
    tie_break: TieBreak = VOTES_COST_ORDER,
    incompatible_groups: Iterable[Iterable[str]] = (),
    voter_budget_increment: int = 1,
    *,
    explain: bool = True,
) -> AllocationResult:
    """Equal shares with each voter's share raised by `voter_budget_increment` until exhaustive, then greedy."""
    if not isinstance(voter_budget_increment, int) or voter_budget_increment < 1:
        raise ValueError("voter_budget_increment must be a positive integer")
    return _mes_add1(_prepare(instance, ballots, tie_break, incompatible_groups), voter_budget_increment, explain)


def allocate(
    instance: Instance,
    ballots: Sequence[BallotLike],
    rule: str,
    tie_break: str | TieBreak = "default",
    incompatible_groups: Iterable[Iterable[str]] = (),
    *,
    voter_budget_increment: int = 1,
    explain: bool = True,
) -> AllocationResult:
    """Run `rule` ("greedy", "mes", "mes-add1") with a named tie-break ("default"/"lexico").

    `explain=False` computes the outcome only (no per-project explanations: `explanations` is empty),
    the way pabutools' rules compute it; the API and CLI always explain.
    """
    strategy = _strategy(tie_break)
    if rule == "greedy":
        return greedy(instance, ballots, strategy, incompatible_groups, explain=explain)
    if rule == "mes":
        return mes(instance, ballots, strategy, incompatible_groups, explain=explain)
    if rule == "mes-add1":
        return mes_add1(instance, ballots, strategy, incompatible_groups, voter_budget_increment, explain=explain)
    raise ValueError(f"unknown rule {rule!r}; expected one of {list(RULES)}")
