"""Evaluation rules (pure): rubric totals, score validity, the campaign window, conflicts of interest,
assignment progress and satisfaction aggregates."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.regions.rules import is_within

RUBRIC_TOTAL = 100
# Ratings of 4 (满意) and 5 (非常满意) count as satisfied.
SATISFIED_FROM = 4


@dataclass(frozen=True)
class Problem:
    """Why something is refused: a stable code, a sentence, and the members that name the culprits."""

    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Criterion:
    """One criterion of a rubric version."""

    key: str
    name: str
    max_points: int


def rubric_problem(criteria: Sequence[Criterion]) -> Problem | None:
    """What is wrong with a rubric's criteria: a key twice, or maxima that do not add up to 100."""
    keys = [c.key for c in criteria]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        return Problem(
            "criterion_duplicate", f"Criterion keys must be unique; repeated: {', '.join(twice)}.", {"criteria": twice}
        )
    total = sum(c.max_points for c in criteria)
    if total != RUBRIC_TOTAL:
        return Problem(
            "rubric_total_not_100",
            f"The criteria's maximum points add up to {total}; a rubric adds up to {RUBRIC_TOTAL}.",
            {"total_points": total},
        )
    return None


@dataclass(frozen=True)
class ScoreItem:
    """Points given on one criterion, with the evaluator's comment."""

    criterion: str
    points: int
    comment: str | None = None


def score_problem(criteria: Sequence[Criterion], items: Sequence[ScoreItem], *, complete: bool) -> Problem | None:
    """What is wrong with the items of a score; a submission (`complete`) must cover every criterion."""
    by_key = {c.key: c for c in criteria}
    keys = [i.criterion for i in items]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        return Problem("criterion_duplicate", f"A criterion is scored twice: {', '.join(twice)}.", {"criteria": twice})
    unknown = sorted(set(keys) - by_key.keys())
    if unknown:
        return Problem(
            "unknown_criterion", f"The campaign's rubric has no criterion {', '.join(unknown)}.", {"criteria": unknown}
        )
    negative = [i.criterion for i in items if i.points < 0]
    if negative:
        return Problem("points_negative", "Points cannot be negative.", {"criteria": negative})
    above = [
        {"criterion": i.criterion, "points": i.points, "max_points": by_key[i.criterion].max_points}
        for i in items
        if i.points > by_key[i.criterion].max_points
    ]
    if above:
        first = above[0]
        return Problem(
            "points_above_max",
            f"{first['points']} points on {first['criterion']} exceed its maximum of {first['max_points']}.",
            {"criteria": above},
        )
    missing = [c.key for c in criteria if c.key not in set(keys)]
    if complete and missing:
        return Problem(
            "criteria_missing",
            f"A submitted score covers every criterion; missing: {', '.join(missing)}.",
            {"criteria": missing},
        )
    return None


def ordered(criteria: Sequence[Criterion], items: Sequence[ScoreItem]) -> list[ScoreItem]:
    """The items in the rubric's order (how they are stored and shown)."""
    position = {c.key: n for n, c in enumerate(criteria)}
    return sorted(items, key=lambda i: position[i.criterion])


def total_points(items: Sequence[ScoreItem]) -> int:
    """The score's total."""
    return sum(i.points for i in items)


class Phase:
    """Where a campaign stands on a day (Asia/Shanghai): its window includes both end days."""

    upcoming = "upcoming"
    open = "open"
    ended = "ended"


def phase(opens_on: date, closes_on: date, on: date) -> str:
    """upcoming, open (opens_on to closes_on, both included) or ended."""
    if on < opens_on:
        return Phase.upcoming
    return Phase.open if on <= closes_on else Phase.ended


def window_problem(opens_on: date, closes_on: date, today: date) -> Problem | None:
    """Why a campaign window is refused: backwards, or already over."""
    if closes_on < opens_on:
        return Problem("window_invalid", "closes_on must not be before opens_on.")
    if closes_on < today:
        return Problem("window_in_past", "closes_on is in the past.")
    return None


def writing_problem(current: str, what: str = "Scores and ratings") -> Problem | None:
    """Why nothing may be written in this phase: before the window, or after the deadline (locked)."""
    if current == Phase.upcoming:
        return Problem("campaign_not_open", f"{what} are accepted once the campaign opens.")
    if current == Phase.ended:
        return Problem("campaign_ended", f"The campaign's deadline has passed; {what.lower()} are locked.")
    return None


@dataclass(frozen=True)
class Party:
    """An evaluator or assessor organisation, as far as conflicts of interest go."""

    region_path: str | None  # the user's region, or the organisation's seat
    organisation_id: uuid.UUID | None


@dataclass(frozen=True)
class ProjectFacts:
    """What makes someone partial to a project: its community and who implemented it."""

    community_path: str
    implementer_organisation_id: uuid.UUID | None
    # The social organisation that applied for it (公益微创投 and other organisation proposals).
    applicant_organisation_id: uuid.UUID | None = None


CONFLICT_REASONS = {
    "own_community": "the project is in the assignee's own community",
    "own_organisation": "the assignee's organisation implemented the project",
    "applicant_organisation": "the assignee's organisation applied for the project",
}


def conflict_of_interest(party: Party, project: ProjectFacts) -> str | None:
    """The reason code when party may not evaluate project (回避), else None."""
    if party.organisation_id is not None and party.organisation_id == project.implementer_organisation_id:
        return "own_organisation"
    if party.organisation_id is not None and party.organisation_id == project.applicant_organisation_id:
        return "applicant_organisation"
    if is_within(party.region_path, project.community_path):
        return "own_community"
    return None


class Progress:
    """Where an assignment stands in the district's progress view."""

    missing = "missing"  # nothing saved
    draft = "draft"  # saved, not submitted, window still open
    submitted = "submitted"
    late = "late"  # not submitted and the window has ended

    ALL = ("missing", "draft", "submitted", "late")


def progress_of(score_status: str | None, ended: bool) -> str:
    """An assignment's progress from its score's status (None: no score) and whether the window ended."""
    if score_status == "submitted":
        return Progress.submitted
    if ended:
        return Progress.late
    return Progress.missing if score_status is None else Progress.draft


@dataclass(frozen=True)
class Satisfaction:
    """Ratings of one project: how many, their mean (2 places) and the share rated 4 or 5 (1 place)."""

    ratings: int
    mean: Decimal | None
    satisfied_pct: Decimal | None
    below_floor: bool | None


def published_ratings(ratings: Sequence[int], batch: int) -> list[int]:
    """The ratings (oldest first) the public figures cover: whole batches only, none below one batch."""
    return list(ratings[: len(ratings) // batch * batch])


def satisfaction(counts: Mapping[int, int], floor_pct: int) -> Satisfaction:
    """Aggregate rating -> count; below_floor when the satisfied share is under the programme's floor."""
    n = sum(counts.values())
    if n == 0:
        return Satisfaction(0, None, None, None)
    mean = (Decimal(sum(r * c for r, c in counts.items())) / n).quantize(Decimal("0.01"), ROUND_HALF_UP)
    satisfied = sum(c for r, c in counts.items() if r >= SATISFIED_FROM)
    pct = (Decimal(100 * satisfied) / n).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Satisfaction(n, mean, pct, pct < floor_pct)
