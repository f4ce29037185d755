"""Plain data for allocation rules: projects, instances, ballots, tie-breaks and frozen results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


def _is_int(value: object) -> bool:
    # bool is an int subclass; a True cost is a bug, not 1 fen.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Project:
    """A proposal on the ballot: `cost` in integer money units, `order` = submission order."""

    id: str
    cost: int
    order: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("project id must be a non-empty string")
        if not _is_int(self.cost) or self.cost < 0:
            raise ValueError(f"project {self.id}: cost must be a non-negative integer")
        if not _is_int(self.order):
            raise ValueError(f"project {self.id}: order must be an integer")


@dataclass(frozen=True)
class Instance:
    """The budget and the projects competing for it."""

    budget: int
    projects: tuple[Project, ...]

    def __post_init__(self) -> None:
        if not _is_int(self.budget) or self.budget < 0:
            raise ValueError("budget must be a non-negative integer")
        object.__setattr__(self, "projects", tuple(self.projects))
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            raise ValueError("project ids must be unique")


@dataclass(frozen=True)
class Ballot:
    """An approval ballot carried by `weight` identical voters."""

    approved: frozenset[str]
    weight: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "approved", frozenset(self.approved))
        if not _is_int(self.weight) or self.weight < 1:
            raise ValueError("ballot weight must be a positive integer")


@dataclass(frozen=True)
class TieBreak:
    """A tie-breaking strategy: `key(project, votes)`, smaller keys win a tie."""

    name: str
    key: Callable[[Project, int], tuple[Any, ...]] = field(compare=False)


def _votes_cost_order(project: Project, votes: int) -> tuple[Any, ...]:
    return (-votes, project.cost, project.order, project.id)


def _lexico(project: Project, votes: int) -> tuple[Any, ...]:
    # pabutools' lexico_tie_breaking sorts by project name, i.e. plain string order.
    return (project.id,)


VOTES_COST_ORDER = TieBreak("votes_cost_order", _votes_cost_order)
LEXICO = TieBreak("lexico", _lexico)
TIE_BREAKS: dict[str, TieBreak] = {
    "default": VOTES_COST_ORDER,
    "votes_cost_order": VOTES_COST_ORDER,
    "lexico": LEXICO,
}


def fraction_text(value: Fraction | int) -> str:
    """Render an exact amount as "a/b" (always with a denominator, for stable JSON)."""
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True)
class Payment:
    """How the supporters of a project funded by equal shares paid for it."""

    per_supporter: Fraction
    full_payers: int
    partial_payers: int
    partial_total: Fraction

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "per_supporter": fraction_text(self.per_supporter),
            "full_payers": self.full_payers,
            "partial_payers": self.partial_payers,
            "partial_total": fraction_text(self.partial_total),
        }


@dataclass(frozen=True)
class ProjectExplanation:
    """Why one project was or was not funded, in English and Chinese.

    `code` is stable for programs (funded_greedy, funded_equal_shares, not_enough_money,
    supporters_cannot_afford, incompatible, no_votes, free_project); `position` is the 1-based
    funding order; `money_left` is what was available when it was decided: the unspent budget in
    a greedy step, or its supporters' remaining shares when equal shares gave up on it.
    """

    project_id: str
    votes: int
    cost: int
    selected: bool
    code: str
    reason_en: str
    reason_zh: str
    position: int | None = None
    payment: Payment | None = None
    excluded_by: str | None = None
    money_left: Fraction | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "project_id": self.project_id,
            "votes": self.votes,
            "cost": self.cost,
            "selected": self.selected,
            "position": self.position,
            "code": self.code,
            "reason_en": self.reason_en,
            "reason_zh": self.reason_zh,
            "payment": None if self.payment is None else self.payment.to_dict(),
            "excluded_by": self.excluded_by,
            "money_left": None if self.money_left is None else fraction_text(self.money_left),
        }


@dataclass(frozen=True)
class AllocationResult:
    """The outcome of one allocation rule, with an explanation per project (in instance order)."""

    rule: str
    tie_break: str
    budget: int
    n_voters: int
    selected: tuple[str, ...]
    cost: int
    explanations: tuple[ProjectExplanation, ...]
    voter_budget: Fraction | None = None
    # Which variant ran, with its parameters and, in both languages, how it decides (None: the plain rule).
    variant: dict[str, Any] | None = None

    def explanation(self, project_id: str) -> ProjectExplanation:
        """The explanation of one project."""
        for item in self.explanations:
            if item.project_id == project_id:
                return item
        raise KeyError(project_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with a fixed key order and Fractions as "a/b" strings."""
        return {
            "rule": self.rule,
            "tie_break": self.tie_break,
            "budget": self.budget,
            "n_voters": self.n_voters,
            "selected": list(self.selected),
            "cost": self.cost,
            "voter_budget": None if self.voter_budget is None else fraction_text(self.voter_budget),
            "variant": self.variant,
            "explanations": [item.to_dict() for item in self.explanations],
        }
