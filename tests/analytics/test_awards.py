"""Award computation (pure): trimmed means, normalisation, composite and grade, awards, money within the fund."""

from decimal import Decimal

import pandas as pd
import pytest

from app.analytics.award_model import AwardRuleError, AwardRules, ScoringRules
from app.analytics.awards import canonical, compute, subsidies
from app.analytics.evaluation_scores import normalised, project_scores, source_means

RULES = ScoringRules(weights={"resident": Decimal("0.3"), "expert": Decimal("0.7")})


def frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)


def scores(*rows):
    return frame(rows, ["project_id", "source", "evaluator", "total"])


def ratings(*rows):
    return frame(rows, ["project_id", "rating"])


def projects(*ids, community="c1", street="s1"):
    return frame(
        [(p, community, street, f"项目{p}") for p in ids], ["project_id", "community_id", "street_id", "title"]
    )


NO_NOMINATIONS = frame([], ["nomination_id", "community_id", "title", "evaluator", "total"])


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five_scores():
    five = scores(*[("p", "expert", f"e{i}", t) for i, t in enumerate([60, 80, 82, 84, 100])])
    four = scores(*[("p", "expert", f"e{i}", t) for i, t in enumerate([60, 80, 82, 100])])
    assert source_means(five, RULES)["mean"].tolist() == [82.0]
    assert source_means(four, RULES)["mean"].tolist() == [80.5]  # under 5 scores: plain mean
    untrimmed = ScoringRules(weights=RULES.weights, trim_extremes=False)
    assert source_means(five, untrimmed)["mean"].tolist() == [81.2]


def test_normalisation_corrects_a_lenient_evaluator():
    # e1 gives everyone 10 more than e2; after normalising they agree.
    rows = scores(
        ("a", "expert", "e1", 95), ("b", "expert", "e1", 85), ("a", "expert", "e2", 85), ("b", "expert", "e2", 75)
    )
    values = normalised(rows)
    assert values[0] == values[2] and values[1] == values[3]
    assert values.mean() == rows["total"].mean()


def test_composite_grade_and_rank_with_documented_ties():
    rows = scores(("a", "expert", "e1", 90), ("b", "expert", "e1", 90), ("c", "expert", "e1", 50))
    rated = ratings(("a", 5), ("b", 4), ("c", 3))
    out = project_scores(rows, rated, projects("c", "b", "a"), RULES).set_index("project_id")
    assert out.loc["a", "composite"] == 93.0 and out.loc["a", "grade"] == "优秀"  # 0.7×90 + 0.3×100
    assert out.loc["b", "composite"] == 87.0 and out.loc["b", "grade"] == "良好"
    assert out.loc["c", "composite"] == 53.0 and out.loc["c", "grade"] == "不合格"
    assert out["rank"].to_dict() == {"a": 1, "b": 2, "c": 3}
    tie = project_scores(
        scores(("x", "expert", "e", 80), ("y", "expert", "e", 80)), ratings(), projects("y", "x"), RULES
    ).set_index("project_id")
    assert tie["rank"].to_dict() == {"x": 1, "y": 2}  # equal on every score: the smaller id first


def test_a_source_without_scores_leaves_the_others_weighted():
    out = project_scores(scores(("a", "expert", "e", 70)), ratings(), projects("a"), RULES)
    assert out["composite"].tolist() == [70.0] and out["resident_n"].tolist() == [0]


def test_subsidies_never_exceed_the_fund():
    ranked = pd.DataFrame({"project_id": ["a", "b", "c"], "grade": ["优秀", "优秀", "良好"]})
    rules = AwardRules(subsidy_by_grade={"优秀": 1_000_000, "良好": 500_000}, subsidy_fund_fen=1_000_001)
    money = subsidies(ranked, rules)
    assert money["awarded_fen"] == 1_000_001 and money["scaled"]
    assert money["amounts"] == {"a": 400_001, "b": 400_000, "c": 200_000}
    enough = subsidies(ranked, AwardRules(subsidy_by_grade={"优秀": 100}, subsidy_fund_fen=1_000))
    assert enough["amounts"] == {"a": 100, "b": 100} and not enough["scaled"]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: ScoringRules(weights={"expert": Decimal("0.7"), "resident": Decimal("0.2")}), "weights_not_one"),
        (lambda: ScoringRules(weights={"expert": Decimal(1)}, cutoffs=(80, 90, 60)), "cutoffs_out_of_order"),
        (lambda: AwardRules(subsidy_by_grade={"优秀": 500_000}, subsidy_fund_fen=100_000), "award_fund_too_small"),
        (lambda: AwardRules(excellent_top_n=3, excellent_top_pct=10), "excellent_rule"),
    ],
)
def test_bad_rules_are_refused_with_a_code(make, code):
    with pytest.raises(AwardRuleError) as refused:
        make()
    assert refused.value.code == code


def test_same_inputs_same_bytes_whatever_the_row_order():
    rows = scores(*[(p, "expert", f"e{i}", 60 + (i * 7 + ord(p)) % 40) for p in "abcdef" for i in range(6)])
    rated = ratings(*[(p, 1 + (i + ord(p)) % 5) for p in "abcdef" for i in range(20)])
    awards = AwardRules(
        excellent_top_n=2, subsidy_by_grade={"优秀": 300_000, "良好": 100_000}, subsidy_fund_fen=500_000
    )
    nominations = frame(
        [("n1", "c1", "楼长议事法", "e1", 88), ("n2", "c2", "院落自治", "e1", 91)],
        ["nomination_id", "community_id", "title", "evaluator", "total"],
    )
    first = compute(rows, rated, projects(*"abcdef"), nominations, RULES, awards)
    shuffled = compute(
        rows.sample(frac=1, random_state=7),
        rated.sample(frac=1, random_state=3),
        projects(*"fedcba"),
        nominations.iloc[::-1],
        RULES,
        awards,
    )
    assert canonical(first) == canonical(shuffled)
    assert [w["title"] for w in first["work_methods"]] == ["院落自治", "楼长议事法"]
    assert first["subsidies"]["awarded_fen"] <= 500_000
    assert len(first["excellent_projects"]) <= 2
