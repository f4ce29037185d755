"""Equal shares' budget state for large profiles: ballot groups in budget classes, walked by numpy.

Why it is fast and still exact:
- voters with the same ballot are one group; groups whose remaining budgets are equal (they paid for
  the same projects) share a budget class, so a payment does exact arithmetic once per class touched,
  not once per voter (a few thousand classes instead of 150,000 voters);
- a project's supporters per class are counted when asked (`np.bincount` over its supporter groups),
  so a payment only relabels its supporters' groups instead of updating every project's counts;
- the poorest-first walk for a price runs in floats over all classes at once; the floats only say
  where to look: the answer is then checked and, if need be, moved class by class in exact integers
  (the walk's test is monotone, so the first class that passes is found from any starting point);
- all budgets share one integer denominator `den`; a class's numerator is `nums[k] * factor[ver[k]]`,
  rescaled lazily to the current `den`, so a growing denominator costs nothing for untouched classes.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from operator import mul
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.analytics.equal_shares import GroupedProfile


class BudgetClasses:
    """Remaining budgets of ballot groups as classes of equal budget; spent groups have class -1.

    Floats (`flo`, correctly rounded) order the classes: an exact order is never reversed by them,
    and equal floats are settled by the exact values.
    """

    def __init__(self, prof: GroupedProfile, voter_budget: Fraction) -> None:
        self.costs = prof.costs
        self.sup, self.sup_w = prof.supporters, prof.supporter_weights
        self.den = voter_budget.denominator
        self.dens = [self.den]
        self.factor = np.array([1], dtype=object)
        self.nums = np.zeros(64, dtype=object)
        self.ver = np.zeros(64, dtype=np.int64)
        self.flo = np.zeros(64, dtype=np.float64)
        # rounds[k, r]: class k paid round r's price in full (every class still alive paid each of its
        # rounds in full); `paid[r]` is that price and `start` the starting budget, both over `den`.
        self.rounds = np.zeros((64, len(self.costs)), dtype=np.int8)
        self.paid: list[int] = []
        self.start = voter_budget.numerator
        alive = voter_budget > 0 and prof.n_groups > 0
        self.n = 1 if alive else 0
        self.cls = np.full(prof.n_groups, 0 if alive else -1, dtype=np.int64)
        if alive:
            self.nums[0], self.flo[0] = voter_budget.numerator, float(voter_budget)

    def _held(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """(classes holding supporters of p, how many supporters each holds), classes ascending."""
        counted = np.bincount(self.cls[self.sup[p]] + 1, weights=self.sup_w[p], minlength=self.n + 1)[1:]
        held = np.flatnonzero(counted)
        return held, counted[held].astype(np.int64)  # exact: at most n_voters, far below 2**53

    def _exact(self, classes: np.ndarray) -> list[int]:
        """The classes' budgets as numerators over `den` (rescaled ones are kept: later walks reread them)."""
        current = len(self.dens) - 1
        versions = self.ver[classes]
        stale = versions != current
        if stale.any():
            old = classes[stale]
            self.nums[old] = self.nums[old] * self.factor[versions[stale]]
            self.ver[old] = current
        values: list[int] = self.nums[classes].tolist()
        return values

    def rho(self, p: int) -> tuple[int, int, int]:
        """(R, N, left): the price is R / (N * den); N == 0 means unaffordable with `left` money."""
        held, counts = self._held(p)
        need0 = self.costs[p] * self.den
        if not len(held):
            return need0, 0, 0
        vals = self.flo[held]
        order = np.argsort(vals, kind="stable")
        held, counts, vals = held[order], counts[order], vals[order]
        if len(vals) > 1 and bool((vals[1:] == vals[:-1]).any()):
            exact = dict(zip(held.tolist(), self._exact(held), strict=True))
            order = np.array(sorted(range(len(held)), key=lambda i: exact[int(held[i])]), dtype=np.int64)
            held, counts, vals = held[order], counts[order], vals[order]
        # Poorest first, class k pays the common price if need_k <= b_k * rest_k, else all it has;
        # b_k * rest_k - need_k only grows with k, so the answer is the first k where the test holds.
        rest_f = float(counts.sum()) - (np.cumsum(counts) - counts)
        spent_f = np.cumsum(vals * counts) - vals * counts
        passes = vals * rest_f >= float(self.costs[p]) - spent_f
        k = int(np.argmax(passes)) if bool(passes.any()) else len(held)
        return self._settle(held, counts, k, need0)

    def _settle(self, held: np.ndarray, counts: np.ndarray, k: int, need0: int) -> tuple[int, int, int]:
        """The exact walk's answer, started from the floats' guess k."""
        sizes = counts.tolist()
        need, rest = need0 - self._spent_before(held, counts, k), sum(sizes[k:])
        while k > 0:
            b, c = self._exact(held[k - 1 : k])[0], sizes[k - 1]
            if need + b * c > b * (rest + c):
                break
            k, need, rest = k - 1, need + b * c, rest + c
        while k < len(sizes):
            b = self._exact(held[k : k + 1])[0]
            if need <= b * rest:
                return need, rest, 0
            need, rest, k = need - b * sizes[k], rest - sizes[k], k + 1
        return need, 0, need0 - need

    def _spent_before(self, held: np.ndarray, counts: np.ndarray, k: int) -> int:
        """What the supporters in the first k classes hold, exactly (numerator over `den`): each class
        holds the starting budget less the prices of the rounds it paid in full, so this is a sum over
        the rounds, not over the classes."""
        if k == 0:
            return 0
        voters = int(counts[:k].sum())
        rounds = len(self.paid)
        if not rounds:
            return voters * self.start
        per_round: list[int] = (counts[:k] @ self.rounds[held[:k], :rounds]).tolist()
        spent: int = voters * self.start - sum(map(mul, self.paid, per_round))
        return spent

    def pay(self, p: int, price_num: int, price_rest: int) -> tuple[Fraction, int, int, Fraction]:
        """Charge the supporters of p; return (price, full payers, partial payers, partial total)."""
        g = gcd(price_num, price_rest)
        scale, price = price_rest // g, price_num // g
        if scale != 1:
            self.den *= scale
            self.dens.append(self.den)
            self.factor = np.array([self.den // d for d in self.dens], dtype=object)
            self.start *= scale
            self.paid = [x * scale for x in self.paid]
        held, counts = self._held(p)
        values = np.array(self._exact(held), dtype=object)
        full = values >= price
        poor = ~full
        record = (
            Fraction(price, self.den),
            int(counts[full].sum()),
            int(counts[poor].sum()),
            Fraction(sum(map(mul, values[poor].tolist(), counts[poor].tolist())), self.den),
        )
        # Supporters with money left after paying move to a new class; the others are spent.
        left = full & (values != price)
        fresh = values[left] - price
        start, made = self.n, len(fresh)
        self._grow(start + made)
        self.nums[start : start + made] = fresh
        self.ver[start : start + made] = len(self.dens) - 1
        self.rounds[start : start + made] = self.rounds[held[left]]
        self.rounds[start : start + made, len(self.paid)] = 1
        self.paid.append(price)
        self.flo[start : start + made] = [x / self.den for x in fresh.tolist()]
        self.n += made
        mapping = np.arange(start + 1, dtype=np.int64) - 1  # class + 1 -> class; 0 (spent) stays -1
        mapping[held + 1] = -1
        mapping[held[left] + 1] = np.arange(start, start + made, dtype=np.int64)
        sup = self.sup[p]
        self.cls[sup] = mapping[self.cls[sup] + 1]
        return record

    def _grow(self, size: int) -> None:
        cap = len(self.flo)
        if size <= cap:
            return
        cap = max(size, 2 * cap)
        self.nums = np.concatenate([self.nums, np.zeros(cap - len(self.nums), dtype=object)])
        self.ver = np.concatenate([self.ver, np.zeros(cap - len(self.ver), dtype=np.int64)])
        self.flo = np.concatenate([self.flo, np.zeros(cap - len(self.flo), dtype=np.float64)])
        rounds = np.zeros((cap, self.rounds.shape[1]), dtype=np.int8)
        rounds[: len(self.rounds)] = self.rounds
        self.rounds = rounds
