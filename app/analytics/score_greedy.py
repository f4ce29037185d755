"""Greedy by score, as pabulib's rules name it: greedy, greedy-threshold and greedy-no-skip.

Projects go by score (approvals, points by rank or points given), equal scores by more supporters,
then lower cost, then file order. "greedy" skips a project that no longer fits and goes on;
"greedy-no-skip" stops at the first one; "greedy-threshold" first drops projects below the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from app.analytics import allocation_text as text
from app.analytics.allocation_model import AllocationResult, Instance, ProjectExplanation

MODES = ("greedy", "greedy-no-skip", "greedy-threshold")


def score_greedy(
    instance: Instance,
    scores: Mapping[str, Fraction],
    supporters: Mapping[str, int],
    mode: str = "greedy",
    threshold: Fraction | None = None,
    n_voters: int = 0,
    *,
    explain: bool = True,
) -> AllocationResult:
    """Fund by score within the budget; `threshold` is required by (and only by) greedy-threshold.

    `explain=False` computes the outcome only (`explanations` is empty), as the other rules do.
    """
    if mode not in MODES:
        raise ValueError(f"unknown greedy mode {mode!r}")
    if (mode == "greedy-threshold") != (threshold is not None):
        raise ValueError("greedy-threshold takes a threshold and only it does")
    projects = instance.projects
    order = sorted(
        range(len(projects)), key=lambda i: (-scores[projects[i].id], -supporters[projects[i].id], projects[i].cost, i)
    )
    funded: list[int] = []
    left, stopped_by = instance.budget, None
    reasons: dict[int, tuple[str, tuple[str, str], Fraction | None]] = {}
    for i in order:
        p = projects[i]
        if threshold is not None and scores[p.id] < threshold:
            if explain:
                reasons[i] = ("below_threshold", text.below_threshold(scores[p.id], threshold), None)
        elif stopped_by is not None:
            if explain:
                reasons[i] = ("stopped", text.stopped_at(stopped_by), Fraction(left))
        elif p.cost > left:
            if explain:
                before = [projects[j].id for j in funded]
                reasons[i] = ("not_enough_money", text.not_enough_money(p.cost, left, before), Fraction(left))
            if mode == "greedy-no-skip":
                stopped_by = p.id
        else:
            if explain:
                reasons[i] = ("funded_greedy", text.funded_by_score(scores[p.id], p.cost, left), Fraction(left))
            funded.append(i)
            left -= p.cost
    explanations = []
    for i, p in enumerate(projects) if explain else ():
        code, (en, zh), money_left = reasons[i]
        explanations.append(
            ProjectExplanation(
                project_id=p.id,
                votes=supporters[p.id],
                cost=p.cost,
                selected=i in funded,
                code=code,
                reason_en=en,
                reason_zh=zh,
                position=funded.index(i) + 1 if i in funded else None,
                money_left=money_left,
            )
        )
    return AllocationResult(
        rule=mode,
        tie_break="score_supporters_cost_order",
        budget=instance.budget,
        n_voters=n_voters,
        selected=tuple(projects[i].id for i in funded),
        cost=instance.budget - left,
        explanations=tuple(explanations),
    )
