"""Pure programme rules: the pilot quota, the period, and the rules document's defaults and validation."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from app.programmes import rules
from app.programmes.enums import ProjectType
from app.programmes.ruleset import ProgrammeRules, merge_rules


@pytest.mark.parametrize(("communities", "required"), [(0, 0), (1, 1), (14, 1), (15, 1), (16, 2), (40, 2)])
def test_required_pilots_reads_15_as_small(communities, required):
    assert rules.required_pilots(communities) == required


def test_shortfalls_name_every_street_short():
    streets = [
        rules.StreetCount(uuid.uuid4(), "乙街道", 16, 1),
        rules.StreetCount(uuid.uuid4(), "甲街道", 3, 0),
        rules.StreetCount(uuid.uuid4(), "丙街道", 15, 1),
        rules.StreetCount(uuid.uuid4(), "丁街道", 0, 0),
    ]
    short = rules.shortfalls(streets)
    assert {(s.name, s.pilots, s.required) for s in short} == {("乙街道", 1, 2), ("甲街道", 0, 1)}


@pytest.mark.parametrize(
    ("start", "end", "closing", "ok"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), date(2025, 12, 31), True),
        (date(2025, 1, 1), date(2026, 5, 31), date(2025, 12, 31), True),  # Chengdu: runs to the end of May
        (date(2024, 12, 1), date(2025, 12, 31), date(2025, 12, 31), False),
        (date(2025, 6, 1), date(2025, 5, 1), date(2025, 5, 1), False),
        (date(2025, 1, 1), date(2027, 1, 1), date(2025, 12, 31), False),
        (date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 10), False),
    ],
)
def test_period(start, end, closing, ok):
    assert (rules.period_problem(2025, start, end, closing) is None) is ok


def test_defaults_follow_the_seeds():
    r = ProgrammeRules()
    assert r.subsidy_per_pilot_fen == 3_000_000
    assert (r.notice.unit, r.notice.days) == ("working_days", 5)
    assert (r.meeting.quorum_numerator, r.meeting.quorum_denominator, r.meeting.majority_base) == (2, 3, "all")
    assert [r.project_caps.cap_for(t) for t in ProjectType] == [20_000_000, 20_000_000, 50_000_000]
    assert r.evaluation.weights.resident + r.evaluation.weights.expert + r.evaluation.weights.third_party == 1
    g = r.evaluation.grade_cutoffs
    assert (g.excellent, g.good, g.passing) == (90, 80, 60)
    assert r.year_end == "sweep"


@pytest.mark.parametrize(
    "bad",
    [
        {"evaluation": {"weights": {"resident": 0.3, "expert": 0.6, "third_party": 0}}},
        {"evaluation": {"grade_cutoffs": {"excellent": 80, "good": 80, "passing": 60}}},
        {"evaluation": {"grade_cutoffs": {"excellent": 90, "good": 95, "passing": 60}}},
        {"project_caps": {"works_fen": 0}},
        {"project_caps": {"goods_fen": -1}},
        {"project_caps": {"services_fen": 1.5}},
        {"project_caps": {"services_fen": "100"}},
        {"subsidy_per_pilot_fen": -1},
        {"meeting": {"quorum_numerator": 4, "quorum_denominator": 3}},
        {"meeting": {"majority_base": "loudest"}},
        {"notice": {"unit": "weeks"}},
        {"ballot": {"allocation_rule": "lottery"}},
        {"unknown": 1},
    ],
)
def test_invalid_rules_are_refused(bad):
    with pytest.raises(ValidationError):
        ProgrammeRules.model_validate(bad)


def test_weights_are_exact_decimals():
    r = ProgrammeRules.model_validate({"evaluation": {"weights": {"resident": 0.1, "expert": 0.2, "third_party": 0.7}}})
    assert r.evaluation.weights.resident == Decimal("0.1")
    stored = r.model_dump(mode="json")
    assert stored["evaluation"]["weights"] == {"resident": 0.1, "expert": 0.2, "third_party": 0.7}
    assert ProgrammeRules.model_validate(stored) == r


def test_merge_keeps_what_is_not_named():
    current = ProgrammeRules(notice={"unit": "calendar_days", "days": 10}).model_dump(mode="json")
    merged = merge_rules(current, {"project_caps": {"works_fen": 100_000_000}})
    assert merged.project_caps.works_fen == 100_000_000
    assert merged.project_caps.services_fen == 20_000_000
    assert (merged.notice.unit, merged.notice.days) == ("calendar_days", 10)
