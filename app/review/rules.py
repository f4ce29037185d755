"""Expert review rules (pure): combining the panel's scores and funding the ranking within the budget.

Scores are trimmed and averaged exactly as the award analytics do (去掉一个最高分和一个最低分 from five scores
on); the ranking is funded by the greedy allocation every voting round uses, with each application's standing
in hundredths of a point in place of its votes, so the same tie-break (then lower cost, then order) applies."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from app.analytics.allocation import Ballot, Instance, Project, greedy
from app.analytics.award_model import ScoringRules
from app.analytics.evaluation_scores import source_means


@dataclass(frozen=True)
class Application:
    """One application under review: its number on the panel, cost and, where residents also voted, vote share."""

    number: int
    cost_fen: int
    vote_share: float = 0.0  # 0–1: its ballots over all ballots, used only with selection method "both"


@dataclass(frozen=True)
class ExpertScore:
    """One expert's submitted total (0–100) for one application; conflicted experts never get here."""

    number: int
    expert: str
    total: int


@dataclass(frozen=True)
class Standing:
    """An application's outcome: trimmed mean of the panel, how many scored, combined standing, funded or not."""

    number: int
    review_mean: float | None
    scores: int
    standing: float
    selected: bool


def standings(
    applications: Sequence[Application],
    scores: Sequence[ExpertScore],
    *,
    budget_fen: int,
    review_share: Decimal,
    trim_extremes: bool = True,
    trim_min_scores: int = 5,
) -> list[Standing]:
    """Each application's standing out of 100 (review weighed by review_share against its vote share) and
    whether the greedy fill within budget_fen funds it; best first. Unscored applications stand at their
    vote part alone."""
    frame = pd.DataFrame(
        [{"project_id": s.number, "source": "expert", "evaluator": s.expert, "total": s.total} for s in scores],
        columns=["project_id", "source", "evaluator", "total"],
    )
    rules = ScoringRules(weights={"expert": Decimal(1)}, trim_extremes=trim_extremes, trim_min_scores=trim_min_scores)
    means = {int(r.project_id): (float(r.mean), int(r.n)) for r in source_means(frame, rules).itertuples()}
    weight = float(review_share)
    standing: dict[int, float] = {}
    for a in applications:
        mean = means.get(a.number, (None, 0))[0]
        standing[a.number] = round(weight * (mean or 0.0) + (1 - weight) * a.vote_share * 100, 2)
    funded = _fund(applications, standing, budget_fen)
    out = [
        Standing(
            a.number,
            None if a.number not in means else round(means[a.number][0], 2),
            means.get(a.number, (None, 0))[1],
            standing[a.number],
            a.number in funded,
        )
        for a in applications
    ]
    return sorted(out, key=lambda s: (-s.standing, s.number))


def _fund(applications: Sequence[Application], standing: Mapping[int, float], budget_fen: int) -> set[int]:
    """Greedy within the budget over the applications that stand above zero (greedy would fund an unscored,
    unvoted one from money left over)."""
    ranked = [a for a in applications if standing[a.number] > 0]
    instance = Instance(budget=budget_fen, projects=tuple(Project(str(a.number), a.cost_fen, a.number) for a in ranked))
    ballots = [Ballot(frozenset({str(a.number)}), round(standing[a.number] * 100)) for a in ranked]
    return {int(n) for n in greedy(instance, ballots).selected} if ranked else set()
