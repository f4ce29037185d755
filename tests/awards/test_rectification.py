"""A project sent to rectification (satisfied share under the floor) is no 优秀项目 and its community no 示范社区;
the run says why for every project."""

from decimal import Decimal

import pandas as pd

from app.analytics.award_model import AwardRules, ScoringRules
from app.analytics.awards import NOMINATION_COLUMNS, compute, in_rectification
from tests.awards.test_award_runs import run_body
from tests.evaluation.helpers import EV, assign, end_campaign, full_score, make_eworld, score_url
from tests.evaluation.test_satisfaction import on_roll, rate_url
from tests.programmes.helpers import ok


async def test_a_project_in_rectification_is_not_excellent_and_bars_its_community(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    h = ew.h["district"]
    ok(
        await client.patch(
            f"{EV}/campaigns/{ew.cid}", headers=h, json={"weights": {"resident": 0.1, "expert": 0.9, "third_party": 0}}
        )
    )
    p1, p2 = ew.projects["p1"], ew.projects["p2"]
    for expert in ("expert", "expert2"):
        ok(await assign(client, ew, [p1, p2], evaluator=ew.users[expert]), 201)
        ok(await client.post(score_url(ew.cid, p2, submit=True), headers=ew.h[expert], json=full_score()))
        ok(
            await client.post(
                score_url(ew.cid, p1, submit=True),
                headers=ew.h[expert],
                json=full_score({"innovation": 0, "outcomes": 5}),
            )
        )
    for i, stars in enumerate((5, 5, 3, 3)):  # half satisfied: under the 70% floor
        voter = await on_roll(client, session, app, ew, f"1393333{i:04d}")
        ok(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": stars}), 201)
    await end_campaign(session, ew.cid)
    run = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=h, json=run_body(ew)), 201)
    projects = {p["project_id"]: p for p in run["outputs"]["projects"]}
    # 0.9 × 93 + 0.1 × 80 = 91.7: graded 优秀, first, and still no 优秀项目.
    assert (projects[p2]["grade"], projects[p2]["rank"], projects[p2]["rectification"]) == ("优秀", 1, True)
    assert run["outputs"]["excellent_projects"] == [] and run["outputs"]["model_communities"] == []
    assert run["outputs"]["communities_barred"] == [str(ew.pw.tree.community_a1.id)]
    assert projects[p2]["why"] == "满意度 50.0% 低于 70% 底线，须整改，当年不评优秀项目，所在社区不评示范社区"
    assert projects[p1]["why"] == "等级合格，低于优秀项目的最低等级优秀"
    assert run["config"]["awards"]["satisfaction_floor_pct"] == 70
    assert (
        ok(await client.get(f"{EV.rsplit('/evaluation', 1)[0]}/award-runs/{run['id']}/verification", headers=h))[
            "identical"
        ]
        is True
    )


def test_programme_rules_may_let_a_project_in_rectification_keep_its_award():
    ratings = pd.DataFrame({"project_id": ["a", "a", "b"], "rating": [5, 2, 4]})
    assert in_rectification(ratings, AwardRules(satisfaction_floor_pct=70)) == {"a": 50.0}
    assert in_rectification(ratings, AwardRules()) == {}  # no floor recorded (runs of awards-2026.1)
    scores = pd.DataFrame(
        {"project_id": ["a", "b"], "source": ["expert", "expert"], "evaluator": ["e", "e"], "total": [98, 92]}
    )
    projects = pd.DataFrame(
        {"project_id": ["a", "b"], "community_id": ["c1", "c2"], "street_id": ["s", "s"], "title": ["甲", "乙"]}
    )
    scoring = ScoringRules(weights={"expert": Decimal("0.9"), "resident": Decimal("0.1")})

    def run(bars: bool) -> dict:
        rules = AwardRules(
            excellent_top_n=2, model_communities=2, satisfaction_floor_pct=70, rectification_bars_awards=bars
        )
        return compute(scores, ratings, projects, pd.DataFrame(columns=NOMINATION_COLUMNS), scoring, rules)

    strict, lenient = run(True), run(False)
    assert strict["excellent_projects"] == ["b"] and [c["community_id"] for c in strict["model_communities"]] == ["c2"]
    assert sorted(lenient["excellent_projects"]) == ["a", "b"]
    assert [c["community_id"] for c in lenient["model_communities"]] == ["c1", "c2"]
    assert "不影响评奖" in next(p["why"] for p in lenient["projects"] if p["project_id"] == "a")
