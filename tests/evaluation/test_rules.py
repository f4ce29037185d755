"""Evaluation rules (pure): rubric totals, score checks, windows, conflicts of interest, progress, satisfaction."""

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.evaluation import rules
from app.evaluation.rules import Criterion, Party, ProjectFacts, ScoreItem

RUBRIC = [Criterion("need", "需求", 30), Criterion("feasibility", "可行", 30), Criterion("outcomes", "成效", 40)]


def test_rubric_must_add_up_to_100():
    assert rules.rubric_problem(RUBRIC) is None
    short = rules.rubric_problem(RUBRIC[:2])
    assert short.code == "rubric_total_not_100" and short.extra == {"total_points": 60}
    over = rules.rubric_problem([*RUBRIC, Criterion("team", "团队", 1)])
    assert over.code == "rubric_total_not_100" and over.extra == {"total_points": 101}


def test_rubric_keys_are_unique():
    problem = rules.rubric_problem([Criterion("need", "a", 50), Criterion("need", "b", 50)])
    assert problem.code == "criterion_duplicate" and problem.extra == {"criteria": ["need"]}


def test_score_items_are_checked_against_the_rubric():
    ok = [ScoreItem("need", 30), ScoreItem("feasibility", 0), ScoreItem("outcomes", 40)]
    assert rules.score_problem(RUBRIC, ok, complete=True) is None
    assert rules.total_points(ok) == 70
    above = rules.score_problem(RUBRIC, [ScoreItem("need", 31)], complete=False)
    assert above.code == "points_above_max"
    assert above.extra == {"criteria": [{"criterion": "need", "points": 31, "max_points": 30}]}
    assert rules.score_problem(RUBRIC, [ScoreItem("need", -1)], complete=False).code == "points_negative"
    assert rules.score_problem(RUBRIC, [ScoreItem("charm", 1)], complete=False).code == "unknown_criterion"
    twice = [ScoreItem("need", 1), ScoreItem("need", 2)]
    assert rules.score_problem(RUBRIC, twice, complete=False).code == "criterion_duplicate"


def test_a_draft_may_be_partial_but_a_submission_may_not():
    partial = [ScoreItem("outcomes", 20)]
    assert rules.score_problem(RUBRIC, partial, complete=False) is None
    missing = rules.score_problem(RUBRIC, partial, complete=True)
    assert missing.code == "criteria_missing" and missing.extra == {"criteria": ["need", "feasibility"]}


def test_items_are_kept_in_the_rubric_order():
    items = [ScoreItem("outcomes", 1), ScoreItem("need", 2)]
    assert [i.criterion for i in rules.ordered(RUBRIC, items)] == ["need", "outcomes"]


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=3, max_size=3))
def test_a_valid_complete_score_never_exceeds_100(points):
    items = [ScoreItem(c.key, min(p, c.max_points)) for c, p in zip(RUBRIC, points, strict=True)]
    assert rules.score_problem(RUBRIC, items, complete=True) is None
    assert 0 <= rules.total_points(items) <= rules.RUBRIC_TOTAL


def test_window_includes_both_end_days():
    opens, closes = date(2026, 3, 1), date(2026, 3, 31)
    assert rules.phase(opens, closes, date(2026, 2, 28)) == "upcoming"
    assert rules.phase(opens, closes, opens) == "open"
    assert rules.phase(opens, closes, closes) == "open"
    assert rules.phase(opens, closes, date(2026, 4, 1)) == "ended"


def test_window_problems():
    today = date(2026, 3, 10)
    assert rules.window_problem(date(2026, 3, 1), date(2026, 3, 10), today) is None
    assert rules.window_problem(date(2026, 3, 5), date(2026, 3, 4), today).code == "window_invalid"
    assert rules.window_problem(date(2026, 3, 1), date(2026, 3, 9), today).code == "window_in_past"


def test_writing_is_allowed_only_while_open():
    assert rules.writing_problem("open") is None
    assert rules.writing_problem("upcoming").code == "campaign_not_open"
    assert rules.writing_problem("ended").code == "campaign_ended"


def test_conflicts_of_interest():
    org, other = uuid.uuid4(), uuid.uuid4()
    community = "/d/s/c/"
    project = ProjectFacts(community, org)
    assert rules.conflict_of_interest(Party("/d/", None), project) is None  # a district expert
    assert rules.conflict_of_interest(Party("/d/s/", other), project) is None  # same street, other org
    assert rules.conflict_of_interest(Party(community, None), project) == "own_community"
    assert rules.conflict_of_interest(Party(community + "u/", None), project) == "own_community"  # a compound in it
    assert rules.conflict_of_interest(Party("/d/", org), project) == "own_organisation"
    assert rules.conflict_of_interest(Party(None, org), ProjectFacts(community, None)) is None
    assert rules.conflict_of_interest(Party("/d/s/c2/", None), project) is None  # a sibling community
    applied = ProjectFacts(community, None, other)  # other applied for it
    assert rules.conflict_of_interest(Party("/d/", other), applied) == "applicant_organisation"
    assert rules.conflict_of_interest(Party("/d/", org), applied) is None


def test_progress_of_an_assignment():
    assert rules.progress_of(None, ended=False) == "missing"
    assert rules.progress_of("draft", ended=False) == "draft"
    assert rules.progress_of("submitted", ended=False) == "submitted"
    assert rules.progress_of(None, ended=True) == "late"
    assert rules.progress_of("draft", ended=True) == "late"
    assert rules.progress_of("submitted", ended=True) == "submitted"


def test_satisfaction_aggregate():
    s = rules.satisfaction({5: 2, 4: 1, 2: 1}, floor_pct=70)
    assert (s.ratings, s.mean, s.satisfied_pct, s.below_floor) == (4, Decimal("4.00"), Decimal("75.0"), False)
    low = rules.satisfaction({5: 1, 3: 1, 1: 1}, floor_pct=70)
    assert (low.mean, low.satisfied_pct, low.below_floor) == (Decimal("3.00"), Decimal("33.3"), True)
    assert rules.satisfaction({}, floor_pct=70) == rules.Satisfaction(0, None, None, None)
