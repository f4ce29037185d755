"""Equal shares' budget state for small elections: one bit per voter, voters with equal budgets as one mask.

For a few hundred voters, Python's per-element work is the whole cost. Here a project's supporters
are one integer with a bit per voter, and the voters whose remaining budgets are equal are another;
how many supporters sit in a budget class is `(class & supporters).bit_count()`, one C call however
many ballots there are. Budgets stay exact: integer numerators over one shared denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import gcd


class VoterBits:
    """Remaining budgets as {numerator: mask of the voters holding it}; spent voters are dropped."""

    def __init__(self, costs: Sequence[int], masks: Sequence[int], n_voters: int, voter_budget: Fraction) -> None:
        self.costs, self.masks = costs, masks
        self.den = voter_budget.denominator
        everyone = (1 << n_voters) - 1 if voter_budget > 0 else 0
        self.classes: dict[int, int] = {voter_budget.numerator: everyone} if everyone else {}
        # The classes poorest first, and every voter with money left (both remade by each payment).
        self.order, self.alive = sorted(self.classes.items()), everyone

    def rho(self, p: int) -> tuple[int, int, int]:
        """(R, N, left): the price is R / (N * den); N == 0 means unaffordable with `left` money."""
        supporters = self.masks[p]
        rest = (self.alive & supporters).bit_count()
        need = self.costs[p] * self.den
        # Poorest first: each class either pays the common price or, if poorer, all it has.
        for b, m in self.order:
            held = m & supporters
            if not held:
                continue
            if need <= b * rest:
                return need, rest, 0
            c = held.bit_count()
            need -= b * c
            rest -= c
        return need, 0, self.costs[p] * self.den - need

    def pay(self, p: int, price_num: int, price_rest: int) -> tuple[Fraction, int, int, Fraction]:
        """Charge the supporters of p; return (price, full payers, partial payers, partial total)."""
        g = gcd(price_num, price_rest)
        scale, price = price_rest // g, price_num // g
        classes = self.classes
        if scale != 1:
            self.den *= scale
            classes = {b * scale: m for b, m in classes.items()}
        supporters = self.masks[p]
        after: dict[int, int] = {}
        full = partial = partial_total = spent = 0
        for b, m in classes.items():
            paying = m & supporters
            if paying:
                c = paying.bit_count()
                if b >= price:
                    full += c
                else:
                    partial += c
                    partial_total += b * c
                if b > price:
                    after[b - price] = after.get(b - price, 0) | paying
                else:
                    spent |= paying
                m ^= paying
            if m:
                after[b] = after.get(b, 0) | m
        self.classes, self.order = after, sorted(after.items())
        self.alive ^= spent
        return (Fraction(price, self.den), full, partial, Fraction(partial_total, self.den))
