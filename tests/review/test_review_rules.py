"""Expert review rules without a database: trimming, weighing with the vote, greedy funding."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from app.programmes.ruleset import ProgrammeRules, SelectionRule
from app.review.rules import Application, ExpertScore, standings

APPS = [Application(1, 10_000), Application(2, 8_000), Application(3, 5_000)]


def panel(totals: dict[int, list[int]]) -> list[ExpertScore]:
    return [ExpertScore(n, f"e{i}", t) for n, ts in totals.items() for i, t in enumerate(ts)]


def test_trimming_decides_who_is_funded():
    # Five scores trim to 85 (untrimmed 75), so 1 outranks 2 (80); then 2 no longer fits and 3 does.
    scores = panel({1: [90, 80, 85, 20, 100], 2: [80, 80], 3: [60]})
    out = standings(APPS, scores, budget_fen=15_000, review_share=Decimal(1))
    assert [(s.number, s.review_mean, s.selected) for s in out] == [(1, 85.0, True), (2, 80.0, False), (3, 60.0, True)]
    # Below five scores nothing is dropped: 1 stands at 75 and 2 is funded first.
    out = standings(APPS, scores, budget_fen=15_000, review_share=Decimal(1), trim_min_scores=6)
    assert {s.number for s in out if s.selected} == {2, 3}


def test_review_and_vote_weighed():
    apps = [Application(1, 10_000, vote_share=0.1), Application(2, 10_000, vote_share=0.9)]
    scores = panel({1: [90], 2: [50]})
    review_only = standings(apps, scores, budget_fen=10_000, review_share=Decimal(1))
    assert [s.number for s in review_only if s.selected] == [1]
    both = standings(apps, scores, budget_fen=10_000, review_share=Decimal("0.5"))
    assert [(s.number, s.standing) for s in both] == [(2, 70.0), (1, 50.0)]
    assert [s.number for s in both if s.selected] == [2]


def test_unscored_application_is_not_funded_on_review_alone():
    out = standings(APPS[:2], panel({1: [70]}), budget_fen=100_000, review_share=Decimal(1))
    assert [(s.number, s.scores, s.selected) for s in out] == [(1, 1, True), (2, 0, False)]


def test_selection_defaults_to_the_vote():
    assert ProgrammeRules().selection.method == "vote"
    assert ProgrammeRules().selection.review_share == 0
    assert SelectionRule(method="review").review_share == 1
    assert SelectionRule(method="both", review_weight_pct=70).review_share == Decimal("0.7")


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "both"},
        {"method": "both", "review_weight_pct": 100},
        {"method": "vote", "review_weight_pct": 30},
        {"method": "review", "review_weight_pct": 60},
        {"method": "lottery"},
    ],
)
def test_selection_rule_refuses_weights_that_do_not_fit(bad):
    with pytest.raises(ValidationError):
        SelectionRule(**bad)
