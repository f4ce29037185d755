"""Method of Equal Shares (cost utilities) in floating-point arithmetic, as equalshares.net offers it.

The same rule as app.analytics.equal_shares, over the same grouped profile, with every budget and
price a float64. Two prices per unit of cost within a relative `TOLERANCE` of each other count as
equal (the tie-breaking decides), a supporter left with less than `TOLERANCE` of the price counts
as having paid all, and a project is affordable when its supporters hold its cost up to the same
tolerance. Faster on large profiles, but not exact: the exact arithmetic is the default and the
one whose outcome is authoritative; this one exists to reproduce the tool's float option.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from app.analytics.equal_shares import GroupedProfile, MesRun, UnresolvedTie

TOLERANCE = 1e-9


def _price(budgets: np.ndarray, weights: np.ndarray, cost: float) -> tuple[float, float]:
    """(price, money) for supporters with these budgets: price 0 when they hold less than the cost."""
    total = float(budgets @ weights)
    if total < cost * (1 - TOLERANCE):
        return 0.0, total
    order = np.argsort(budgets, kind="stable")
    b, w = budgets[order], weights[order]
    paid_before = np.cumsum(b * w) - b * w
    rest = w.sum() - (np.cumsum(w) - w)
    need = cost - paid_before
    fits = np.flatnonzero(need <= b * rest * (1 + TOLERANCE))
    k = int(fits[0]) if len(fits) else len(b) - 1
    return float(need[k] / rest[k]), total


def equal_shares_float(
    prof: GroupedProfile,
    voter_budget: float,
    rank: Sequence[int],
    conflicts: Sequence[frozenset[int]],
) -> MesRun:
    """Equal shares with each voter starting with `voter_budget`, in floats; the MesRun holds the
    floats as Fractions (their exact binary values) so explanations read them as the exact run's."""
    run = MesRun()
    if prof.n_voters == 0:
        return run
    costs = prof.costs
    weights = prof.weights.astype(np.float64)
    budgets = np.full(len(weights), float(voter_budget))
    active = {p for p in range(len(costs)) if costs[p] > 0 and prof.support[p] > 0}
    blocked: set[int] = set()
    while active:
        best: tuple[float, int, float] | None = None  # (price per unit of cost, project, price)
        tie: tuple[int, int] | None = None
        for p in sorted(active):
            sup = prof.supporters[p]
            price, money = _price(budgets[sup], weights[sup], float(costs[p]))
            if price == 0.0:
                active.discard(p)
                run.dropped[p] = (Fraction(money), len(run.selected))
                continue
            ratio = price / costs[p]
            if best is None or ratio < best[0] * (1 - TOLERANCE):
                best, tie = (ratio, p, price), None
            elif ratio <= best[0] * (1 + TOLERANCE):
                if rank[p] < rank[best[1]]:
                    best, tie = (ratio, p, price), None
                elif rank[p] == rank[best[1]]:
                    tie = (best[1], p)
        if best is None:
            break
        if tie is not None:
            raise UnresolvedTie(tie)
        _, p, price = best
        sup = prof.supporters[p]
        b, w = budgets[sup], weights[sup]
        full = b >= price * (1 - TOLERANCE)
        partial_total = float(b[~full] @ w[~full])
        left = b - price
        budgets[sup] = np.where(left > price * TOLERANCE, left, 0.0)
        run.payments[p] = (Fraction(price), int(w[full].sum()), int(w[~full].sum()), Fraction(partial_total))
        run.selected.append(p)
        run.cost += costs[p]
        active.discard(p)
        for q in conflicts[p]:
            if q not in blocked:
                blocked.add(q)
                run.excluded.setdefault(q, p)
        active -= blocked
    return run
