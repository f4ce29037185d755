"""Exact, fast Method of Equal Shares (cost utilities) over voters grouped by ballot and budget.

Why it is fast and still exact:
- voters with the same ballot are one weighted group;
- voters whose remaining budgets are equal form one budget class; a project's affordability only
  depends on how many of its supporters sit in each class, so it is computed class by class, not
  voter by voter (budget_classes.BudgetClasses; small profiles: _SmallState or voter_bits.VoterBits);
- all budgets share one integer denominator D, so payments and comparisons are integer arithmetic
  (no Fraction normalisation in the inner loops);
- affordabilities only grow as budgets shrink, so a project's last value is a lower bound and most
  projects need no re-evaluation in a round (the same argument pabutools uses).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from math import gcd

import numpy as np

from app.analytics.budget_classes import BudgetClasses
from app.analytics.voter_bits import VoterBits

# Floats only decide which projects to evaluate; a lower bound above best * (1 + _SLACK) is
# certainly worse than best, whatever the rounding (relative float error here is ~1e-16).
_SLACK = 1e-9
# Up to this many distinct ballots the plain-Python state (_SmallState) is faster than the numpy one.
_SMALL = 200
# A small profile's lists: weight per group, approval set per group, supporting groups per project.
Small = tuple[tuple[int, ...], tuple[frozenset[int], ...], tuple[tuple[int, ...], ...]]


class GroupedProfile:
    """Approval ballots over project indices, identical ballots merged with their weight.

    `weights[g]` voters cast ballot group g, which approves `items[indptr[g]:indptr[g + 1]]` (ascending);
    `supporters[p]` are the groups approving p, ascending. A small profile is built from Python lists
    and makes these arrays only when asked (the small-profile rules never ask): for a few dozen ballots,
    numpy's per-call cost would be most of the outcome's time.
    """

    def __init__(
        self,
        costs: tuple[int, ...],
        support: tuple[int, ...],
        n_voters: int,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]] | None = None,
        small: Small | Callable[[], Small] | None = None,
        masks: tuple[int, ...] | None = None,
    ) -> None:
        self.costs, self.support, self.n_voters = costs, support, n_voters
        self._arrays = arrays
        # (weight per group, approval set per group, supporting groups per project) of a small profile,
        # or what makes it when first asked
        self._small = small
        # Per project, its supporters as one bit per voter (voter_bits.VoterBits); None: not kept.
        self.masks = masks
        self._supporter_weights: tuple[np.ndarray, ...] | None = None

    def _lists(self) -> Small | None:
        if callable(self._small):
            self._small = self._small()
        return self._small

    @property
    def n_groups(self) -> int:
        """The number of distinct non-empty ballots."""
        small = self._lists()
        return len(small[0]) if small is not None else len(self._built()[0])

    @property
    def weight_list(self) -> tuple[int, ...]:
        """`weights` as Python ints."""
        small = self._lists()
        return small[0] if small is not None else tuple(self._built()[0].tolist())

    @property
    def supporter_lists(self) -> tuple[tuple[int, ...], ...]:
        """`supporters` as Python lists (small profiles: no numpy call per step); () for large ones."""
        small = self._lists()
        return small[2] if small is not None else ()

    @property
    def weights(self) -> np.ndarray:
        """Voters per ballot group."""
        return self._built()[0]

    @property
    def indptr(self) -> np.ndarray:
        """Where each group's projects start in `items`."""
        return self._built()[1]

    @property
    def items(self) -> np.ndarray:
        """Every group's approved projects, ascending within a group."""
        return self._built()[2]

    @property
    def supporters(self) -> tuple[np.ndarray, ...]:
        """The groups approving each project, ascending."""
        return self._built()[3]

    @property
    def supporter_weights(self) -> tuple[np.ndarray, ...]:
        """Per project, the weight of each supporting group (floats: np.bincount's weights; exact
        while the total stays below 2**53 voters), made once for every run on this profile."""
        if self._supporter_weights is None:
            weights = self.weights.astype(np.float64)
            self._supporter_weights = tuple(weights[s] for s in self.supporters)
        return self._supporter_weights

    def _built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        if self._arrays is None:
            small = self._lists()
            assert small is not None
            weights, keys, supporters = small
            indptr, items = [0], []
            for key in keys:
                items += sorted(key)
                indptr.append(len(items))
            self._arrays = (
                np.array(weights, dtype=np.int64),
                np.array(indptr, dtype=np.int64),
                np.array(items, dtype=np.int64),
                tuple(np.array(s, dtype=np.int64) for s in supporters),
            )
        return self._arrays


def group_profile(costs: Sequence[int], groups: dict[frozenset[int], int], n_voters: int) -> GroupedProfile:
    """Build the grouped profile; `groups` maps a non-empty approval set to its total weight."""
    keys = [b for b in groups if b]
    if len(keys) <= _SMALL:
        return _small_profile(costs, groups, keys, n_voters)
    weights = np.fromiter((groups[b] for b in keys), dtype=np.int64, count=len(keys))
    lens = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    flat = np.fromiter(chain.from_iterable(keys), dtype=np.int64, count=int(lens.sum()))
    return _profile(costs, weights, lens, flat, n_voters)


def _small_profile(
    costs: Sequence[int], groups: dict[frozenset[int], int], keys: list[frozenset[int]], n_voters: int
) -> GroupedProfile:
    """group_profile for few ballots, in plain Python (numpy's per-call cost would dominate)."""
    m = len(costs)
    support = [0] * m
    for key in keys:
        w = groups[key]
        for p in key:
            support[p] += w
    return GroupedProfile(tuple(costs), tuple(support), n_voters, small=small_lists(m, groups, keys))


def small_lists(m: int, groups: dict[frozenset[int], int], keys: list[frozenset[int]]) -> Small:
    """The lists of a small profile of `m` projects: `keys` are the non-empty approval sets of `groups`."""
    supporters: list[list[int]] = [[] for _ in range(m)]
    weights = tuple([groups[key] for key in keys])
    for g, key in enumerate(keys):
        for p in key:
            supporters[p].append(g)
    return weights, tuple(keys), tuple(map(tuple, supporters))


def group_arrays(costs: Sequence[int], lens: np.ndarray, flat: np.ndarray, weights: np.ndarray) -> GroupedProfile:
    """The grouped profile of ballots given as arrays: ballot i approves the `lens[i]` distinct project
    indices that follow in `flat` and counts `weights[i]` voters. Identical approval sets (in any order)
    become one group, groups in order of first appearance, empty ballots count as voters only; the same
    profile as `group_profile` of the equivalent dict, vectorised (sets are packed into 64-bit words)."""
    m, n = len(costs), len(lens)
    n_voters = int(weights.sum())
    words = max(1, (m + 63) // 64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lens)
    packed = np.zeros((n, words), dtype=np.uint64)
    np.bitwise_or.at(packed, (owner, flat >> 6), np.left_shift(np.uint64(1), (flat & 63).astype(np.uint64)))
    rows = np.ascontiguousarray(packed).view(np.dtype((np.void, 8 * words))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    total = np.zeros(len(first), dtype=np.int64)
    np.add.at(total, inverse.ravel(), weights)
    order = np.argsort(first, kind="stable")  # groups in order of first appearance
    first, total = first[order], total[order]
    keep = lens[first] > 0
    first, total = first[keep], total[keep]
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=starts[1:])
    glens = lens[first]
    offsets = np.zeros(len(first) + 1, dtype=np.int64)
    np.cumsum(glens, out=offsets[1:])
    pos = np.repeat(starts[first] - offsets[:-1], glens) + np.arange(int(offsets[-1]), dtype=np.int64)
    return _profile(costs, total, glens, flat[pos], n_voters)


def _profile(
    costs: Sequence[int], weights: np.ndarray, lens: np.ndarray, flat: np.ndarray, n_voters: int
) -> GroupedProfile:
    m = len(costs)
    indptr = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    owner = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    items = flat[np.lexsort((flat, owner))]  # each ballot's projects in ascending order
    by_project = np.argsort(items, kind="stable")
    bounds = np.searchsorted(items[by_project], np.arange(m + 1))
    supporters = tuple(owner[by_project[bounds[p] : bounds[p + 1]]] for p in range(m))
    support = np.bincount(items, weights=np.repeat(weights, lens), minlength=m)
    arrays = (weights, indptr, items, supporters)
    small = None
    if len(lens) <= _SMALL:
        keys = tuple(frozenset(items[indptr[g] : indptr[g + 1]].tolist()) for g in range(len(lens)))
        small = (tuple(weights.tolist()), keys, tuple(tuple(s.tolist()) for s in supporters))
    return GroupedProfile(tuple(costs), tuple(int(s) for s in support), n_voters, arrays, small)


@dataclass
class MesRun:
    """What one run of equal shares did, in project indices."""

    selected: list[int] = field(default_factory=list)
    payments: dict[int, tuple[Fraction, int, int, Fraction]] = field(default_factory=dict)
    dropped: dict[int, tuple[Fraction, int]] = field(default_factory=dict)
    excluded: dict[int, int] = field(default_factory=dict)
    cost: int = 0


@dataclass(frozen=True)
class Step:
    """One funded project of a traced run: its price is need / rest_den; `second` is the best other
    project evaluated in that round as (project, R, N) with price R / (N * den); `unseen` a float lower
    bound of the price per unit of cost of every project not evaluated in that round."""

    project: int
    need: int
    rest_den: int
    price_f: float
    second: tuple[int, int, int] | None
    den: int
    unseen: float


class _SmallState:
    """What BudgetClasses does, in plain Python for small profiles, where numpy's per-call cost dominates.

    Each ballot group keeps its own exact budget numerator over the shared denominator `den` (all
    rescaled when it grows: there are few groups), 0 once spent. Equal budgets in separate groups give
    the same price as one merged class (the poorest-first walk passes them with the same test), and a
    payment touches only the project's supporters, not every project on their ballots.
    """

    def __init__(self, prof: GroupedProfile, voter_budget: Fraction) -> None:
        self.prof = prof
        self.den = voter_budget.denominator
        self.weights = prof.weight_list
        start = voter_budget.numerator if voter_budget > 0 else 0
        self.vals = [start] * len(self.weights)

    def rho(self, p: int) -> tuple[int, int, int]:
        """As BudgetClasses.rho. Spent groups (budget 0) stay in the walk: poorest first, they pay nothing and
        leave `rest` before anyone else is tested, exactly as if they had been left out."""
        sup = self.prof.supporter_lists[p]
        value = self.vals.__getitem__
        need, rest = self.prof.costs[p] * self.den, self.prof.support[p]
        if need <= min(map(value, sup)) * rest:
            return need, rest, 0  # the poorest can pay the common price, so everyone can
        for b, c in sorted(zip(map(value, sup), map(self.weights.__getitem__, sup), strict=True)):
            if need <= b * rest:
                return need, rest, 0
            need -= b * c
            rest -= c
        return need, 0, self.prof.costs[p] * self.den - need

    def pay(self, p: int, price_num: int, price_rest: int) -> tuple[Fraction, int, int, Fraction]:
        """As BudgetClasses.pay."""
        g = gcd(price_num, price_rest)
        scale, price = price_rest // g, price_num // g
        if scale != 1:
            self.den *= scale
            self.vals = [v * scale for v in self.vals]
        vals, weights = self.vals, self.weights
        full = partial = partial_total = 0
        for gi in self.prof.supporter_lists[p]:
            b = vals[gi]
            if not b:
                continue
            c = weights[gi]
            if b >= price:
                full += c
                vals[gi] = b - price
            else:
                partial += c
                partial_total += b * c
                vals[gi] = 0
        return (Fraction(price, self.den), full, partial, Fraction(partial_total, self.den))


class UnresolvedTie(ValueError):
    """Two projects are equally good for equal shares and the tie-breaking ranks them equal too."""

    def __init__(self, projects: tuple[int, int]) -> None:
        super().__init__(f"tie between project indices {projects[0]} and {projects[1]}")
        self.projects = projects


def _compare(a: tuple[int, int, int], b: tuple[int, int, int], costs: Sequence[int], rank: Sequence[int]) -> int:
    """-1 if candidate a = (project, R, N) is preferred to b, 1 if b is, 0 if tied even on rank.

    Lower price per unit of cost wins, then lower rank.
    """
    pa, ra, na = a
    pb, rb, nb = b
    lhs, rhs = ra * nb * costs[pb], rb * na * costs[pa]
    if lhs != rhs:
        return -1 if lhs < rhs else 1
    return (rank[pa] > rank[pb]) - (rank[pa] < rank[pb])


def equal_shares(
    prof: GroupedProfile,
    voter_budget: Fraction,
    rank: Sequence[int],
    conflicts: Sequence[frozenset[int]],
    trace: list[Step] | None = None,
    reach: Sequence[float] = (),
) -> MesRun:
    """Run MES with cost utilities, each voter starting with `voter_budget`; ties go to lower rank.

    Equal ranks are allowed: a tie between equally ranked best projects raises UnresolvedTie.
    `trace`, if given, receives one Step per funded project (see `same_between`); `reach[i]` makes round i
    evaluate exactly every project whose price per cost may be below it (the outcome is the same).
    """
    run = MesRun()
    if trace is not None:
        trace.clear()
    if prof.n_voters == 0:
        return run  # pabutools returns the empty allocation when nobody voted
    costs = prof.costs
    blocked: set[int] = set()

    def fund(p: int) -> None:
        run.selected.append(p)
        run.cost += costs[p]
        for q in conflicts[p]:
            if q not in blocked:
                blocked.add(q)
                run.excluded.setdefault(q, p)

    # A free project brings no utility under cost utilities, so equal shares never buys it
    # (pabutools' Cost_Sat gives it no supporters); a greedy completion may still fund it.
    active = {p for p in range(len(costs)) if costs[p] > 0 and prof.support[p] > 0}
    state: BudgetClasses | _SmallState | VoterBits
    if prof.masks is not None:
        state = VoterBits(costs, prof.masks, prof.n_voters, voter_budget)
    else:
        state = (_SmallState if prof.n_groups <= _SMALL else BudgetClasses)(prof, voter_budget)
    bound = dict.fromkeys(active, 0.0)
    while active:
        best: tuple[int, int, int] | None = None
        best_f = 0.0
        tie: tuple[int, int] | None = None  # an unbroken tie with the current best, raised only if it stays best
        second: tuple[int, int, int] | None = None  # the best evaluated other than `best`
        unseen = float("inf")  # a lower bound of every price per cost not evaluated this round
        floor = reach[len(run.selected)] if len(run.selected) < len(reach) else 0.0
        for p in sorted(active, key=lambda q: (bound[q], rank[q])):
            if best is not None and bound[p] > max(best_f, floor) * (1 + _SLACK):
                unseen = bound[p]
                break
            need, rest, left = state.rho(p)
            if rest == 0:
                active.discard(p)
                run.dropped[p] = (Fraction(left, state.den), len(run.selected))
                continue
            bound[p] = need / (rest * state.den * costs[p])
            order = -1 if best is None else _compare((p, need, rest), best, costs, rank)
            if order < 0:
                if best is not None and (second is None or _compare(best, second, costs, rank) < 0):
                    second = best
                best, best_f, tie = (p, need, rest), bound[p], None
            else:
                if order == 0 and best is not None:
                    tie = (best[0], p)
                if second is None or _compare((p, need, rest), second, costs, rank) < 0:
                    second = (p, need, rest)
        if best is None:
            break
        if tie is not None:
            raise UnresolvedTie(tie)
        p, need, rest = best
        if trace is not None:
            trace.append(Step(p, need, rest * state.den, best_f, second, state.den, unseen))
        run.payments[p] = state.pay(p, need, rest)
        active.discard(p)
        fund(p)
        active -= blocked
    return run


def is_exhaustive(run: MesRun, prof: GroupedProfile, budget: int, conflicts: Sequence[frozenset[int]]) -> bool:
    """pabutools' test: no supported, positive-cost, compatible project still fits the budget."""
    chosen = set(run.selected)
    blocked = set().union(*(conflicts[p] for p in chosen)) if chosen else set()
    left = budget - run.cost
    return not any(
        c > 0 and prof.support[p] > 0 and p not in chosen and p not in blocked and c <= left
        for p, c in enumerate(prof.costs)
    )


def same_between(low: list[Step], high: list[Step], costs: Sequence[int], rank: Sequence[int]) -> bool:
    """True when equal shares certainly selects the same projects, in the same order, at every voter
    budget between the two traced runs' (`low` at the smaller budget, `high` at the larger).

    Why: while the same projects are funded in the same order, every voter's remaining budget after
    each round is a non-decreasing function of the starting budget (prices fall as budgets grow, and
    what is left is max(0, budget - price)). So at any budget in between, a round's chosen project
    costs its supporters at most its price in `low`, and every other affordable project at least its
    price in `high`. If in every round the chosen project of `low` beats every other project of
    `high` (ties settled by rank as equal_shares does), it is chosen in between too; a project that
    `high` cannot afford is unaffordable in between as well, and so is the end of the run.
    """
    if len(low) != len(high):
        return False
    for lo, hi in zip(low, high, strict=True):
        p = lo.project
        if hi.project != p:
            return False
        cp = costs[p]
        if hi.unseen != float("inf") and not hi.unseen > lo.price_f * (1 + _SLACK):
            return False
        if hi.second is not None:
            q, need, rest = hi.second
            # price_q / cost_q (in high) against price_p / cost_p (in low): exact cross-multiplication
            lhs, rhs = need * lo.rest_den * cp, lo.need * rest * hi.den * costs[q]
            if lhs < rhs or (lhs == rhs and rank[q] <= rank[p]):
                return False
    return True


@dataclass
class Leaper:
    """Raises every voter's budget by `step` many at a time where the selection certainly stays.

    From a traced run, `farthest` leaps `stride` raises at once when `same_between` certifies it,
    doubling the stride after a success and halving it after a failure; a failed distance is not
    tried again from farther back (`limit`), so a change of selection is found by bisection.
    """

    prof: GroupedProfile
    rank: Sequence[int]
    conflicts: Sequence[frozenset[int]]
    step: int
    stride: int = 1
    limit: int | None = None  # raises from the current budget at which a leap failed

    def farthest(self, budget: Fraction, trace: list[Step]) -> tuple[int, MesRun | None, list[Step]]:
        """(raises leapt, run there, its trace); (0, None, trace) when no leap was certified."""
        taken, run = 0, None
        while True:
            stride = self.stride if self.limit is None else min(self.stride, self.limit - 1)
            if stride <= 1:
                return taken, run, trace
            high: list[Step] = []
            reach = [s.price_f for s in trace]
            try:
                out = equal_shares(self.prof, budget + stride * self.step, self.rank, self.conflicts, high, reach)
                ok = same_between(trace, high, self.prof.costs, self.rank)
            except UnresolvedTie:
                ok = False  # the selection changes on the way; single raises meet the tie where it is
            if not ok:
                self.limit, self.stride = stride, stride // 2
                continue
            run, trace, budget, taken = out, high, budget + stride * self.step, taken + stride
            self.stride = 2 * stride
            if self.limit is not None:
                self.limit -= stride

    def stepped(self, certified: bool) -> None:
        """After one single raise: whether `same_between` certified it."""
        self.stride = 2 if certified else 1
        if self.limit is not None:
            self.limit = self.limit - 1 if self.limit > 2 else None
