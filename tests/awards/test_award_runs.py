"""Award runs through the API: computed after the window, reproducible, approved, under notice, objected, final."""

import io

import openpyxl
from sqlalchemy import select

from app.awards.models import AwardRun
from app.awards.reports import plain_yuan
from app.notices.models import Objection
from tests.evaluation.helpers import EV, assign, end_campaign, full_score, make_eworld, score_url
from tests.evaluation.test_satisfaction import on_roll, rate_url
from tests.notices.helpers import shift
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count

RUN = {
    "excellent_top_n": 1,
    "model_communities": 1,
    "subsidy_by_grade": {"优秀": 1_000_000, "良好": 500_000},
    "subsidy_fund_fen": 1_200_000,
    "nominations": [
        {
            "community_id": None,
            "title": "楼栋长议事工作法",
            "scores": [{"evaluator": "专家甲", "total_points": 88}, {"evaluator": "专家乙", "total_points": 92}],
        }
    ],
}


async def scored_world(client, session, app, pw):
    """Two experts score p2 high and p1 lower; three residents rate p2; the window then closes."""
    ew = await make_eworld(client, session, app, pw)
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
    for i, stars in enumerate((5, 5, 4)):
        voter = await on_roll(client, session, app, ew, f"1392222{i:04d}")
        ok(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": stars}), 201)
    return ew


def run_body(ew) -> dict:
    body = {**RUN, "nominations": [{**RUN["nominations"][0], "community_id": str(ew.pw.tree.community_a1.id)}]}
    return body


async def test_a_run_computes_awards_reproducibly_and_reports_them(client, session, app, pw):
    ew = await scored_world(client, session, app, pw)
    h = ew.h["district"]
    runs = f"{EV}/campaigns/{ew.cid}/award-runs"
    problem(await client.post(runs, headers=h, json=run_body(ew)), 409, "campaign_window_open")
    await end_campaign(session, ew.cid)
    before = await count(session, AwardRun)
    problem(
        await client.post(runs, headers=h, json={**run_body(ew), "subsidy_fund_fen": 400_000}),
        422,
        "award_fund_too_small",
    )
    problem(
        await client.post(runs, headers=h, json={**run_body(ew), "excellent_top_n": 1, "excellent_top_pct": 10}),
        422,
        "excellent_rule",
    )
    problem(await client.post(runs, headers=ew.h["street_a"], json=run_body(ew)), 403, "role_forbidden")
    assert await count(session, AwardRun) == before

    first = ok(await client.post(runs, headers=h, json=run_body(ew)), 201)
    again = ok(await client.post(runs, headers=h, json=run_body(ew)), 201)
    assert (again["number"], again["inputs_digest"], again["outputs_digest"]) == (
        2,
        first["inputs_digest"],
        first["outputs_digest"],
    )
    projects = {p["project_id"]: p for p in first["outputs"]["projects"]}
    p2, p1 = projects[ew.projects["p2"]], projects[ew.projects["p1"]]
    # p2: experts 93 and 93 → 93; residents 5, 5, 4 → 93.33; composite 0.7 × 93 + 0.3 × 93.33 = 93.1
    assert (p2["expert_score"], p2["resident_score"], p2["composite"], p2["grade"], p2["rank"]) == (
        93.0,
        93.33,
        93.1,
        "优秀",
        1,
    )
    assert (p1["expert_score"], p1["composite"], p1["grade"], p1["rank"]) == (75.0, 75.0, "合格", 2)  # no ratings
    assert p2["awards"] == ["优秀项目"] and p2["subsidy_fen"] == 1_000_000 and p1["subsidy_fen"] == 0
    assert first["outputs"]["work_methods"][0]["title"] == "楼栋长议事工作法"
    assert ok(await client.get(f"{API}/award-runs/{first['id']}/verification", headers=h))["identical"] is True
    inputs = ok(await client.get(f"{API}/award-runs/{first['id']}/inputs", headers=ew.h["supervisor"]))
    assert len(inputs["inputs"]["scores"]) == 4 and len(inputs["inputs"]["ratings"]) == 3

    streets = ok(await client.get(f"{API}/award-runs/{first['id']}/report", headers=h, params={"level": "street"}))
    assert [(s["projects"], s["优秀"], s["合格"], s["subsidy_fen"]) for s in streets["rows"]] == [(2, 1, 1, 1_000_000)]
    summary = ok(await client.get(f"{API}/award-runs/{first['id']}/report", headers=h, params={"level": "campaign"}))
    assert summary["grade_counts"] == {"优秀": 1, "良好": 0, "合格": 1, "不合格": 0}
    csv = await client.get(f"{API}/award-runs/{first['id']}/report", headers=h, params={"format": "csv"})
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("排名,项目,街道,社区,专家评议")
    xlsx = await client.get(
        f"{API}/award-runs/{first['id']}/report", headers=h, params={"format": "xlsx", "level": "street"}
    )
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["评估结果", "说明"]
    chart = await client.get(f"{API}/award-runs/{first['id']}/grade-chart.svg", headers=h)
    assert chart.headers["content-type"].startswith("image/svg+xml") and "<svg" in chart.text and "优秀" in chart.text


async def published_run(client, session, app, pw):
    """A scored, closed campaign whose approved run is under notice: (ew, run url, public notice, items by kind)."""
    ew = await scored_world(client, session, app, pw)
    await end_campaign(session, ew.cid)
    run = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=ew.h["district"], json=run_body(ew)), 201)
    url = f"{API}/award-runs/{run['id']}"
    ok(await client.post(f"{url}/approval", headers=ew.h["district"]))
    published = ok(await client.post(f"{url}/publication", headers=ew.h["district"], json={}))
    notice = ok(await client.get(f"{API}/public/notices/{published['notice_id']}"))
    return ew, url, notice, {i["award_kind"]: i for i in notice["items"]}


async def object_to(client, session, notice, item, reason="该奖项评审依据不足，请核查。"):
    """File an objection as the public does; its id, as staff see it."""
    filed = ok(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections", json={"item_id": item["id"], "reason": reason}
        ),
        201,
    )
    return await session.scalar(select(Objection.id).where(Objection.tracking_code == filed["tracking_code"]))


WITHDRAW = {
    "outcome": "upheld",
    "reply": "经核查，台账资料不全，撤销该奖项。",
    "ground": "finding",
    "action": "withdraw",
}


async def test_approved_run_goes_under_notice_and_an_upheld_objection_withdraws_an_award(client, session, app, pw):
    ew = await scored_world(client, session, app, pw)
    h = ew.h["district"]
    await end_campaign(session, ew.cid)
    run = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=h, json=run_body(ew)), 201)
    other = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=h, json=run_body(ew)), 201)
    url = f"{API}/award-runs/{run['id']}"
    problem(await client.post(f"{url}/publication", headers=h, json={}), 409, "award_run_state")
    ok(await client.post(f"{url}/approval", headers=h))
    problem(await client.post(f"{API}/award-runs/{other['id']}/approval", headers=h), 409, "award_run_exists")
    published = ok(await client.post(f"{url}/publication", headers=h, json={}))
    notice = ok(await client.get(f"{API}/public/notices/{published['notice_id']}"))
    # Every award is an item: the excellent project, the model community and the work method.
    assert notice["kind"] == "award" and [(i["award_kind"], i["proposal_id"]) for i in notice["items"]] == [
        ("project", ew.projects["p2"]),
        ("community", None),
        ("work_method", None),
    ]
    community = str(ew.pw.tree.community_a1.id)
    assert {i["award_community_id"] for i in notice["items"]} == {community}
    objection_id = await object_to(client, session, notice, notice["items"][0])
    problem(await client.post(f"{url}/finalisation", headers=h), 409, "notice_still_open")
    ok(await client.post(f"{url}/objections/{objection_id}/decision", headers=h, json=WITHDRAW))
    await shift(session, notice["id"], 30)
    final = ok(await client.post(f"{url}/finalisation", headers=h))
    assert final["run"]["state"] == "final" and final["withdrawn"] == [ew.projects["p2"]]
    assert final["subsidies"] == []  # the one subsidy went with the award
    rows = ok(await client.get(f"{url}/report", headers=h))["rows"]
    p2 = next(r for r in rows if r["project_id"] == ew.projects["p2"])
    assert (p2["withdrawn"], p2["awards"], p2["subsidy_fen"], p2["grade"]) == (True, "", 0, "优秀")
    assert p2["withdrawn_awards"] == "优秀项目、以奖代补 10,000.00 元"
    for project in ("p1", "p2"):
        state = ok(await client.get(f"{API}/proposals/{ew.projects[project]}", headers=ew.h["staff_a1"]))["state"]
        assert state == "evaluated"
    problem(
        await client.post(f"{url}/subsidies/{ew.projects['p2']}/payments", headers=ew.h["finance"], json={}),
        409,
        "award_withdrawn",
    )


async def test_withdrawn_awards_count_nowhere(client, session, app, pw):
    ew, url, notice, items = await published_run(client, session, app, pw)
    h = ew.h["district"]
    before = ok(await client.get(f"{url}/report", headers=h, params={"level": "campaign"}))
    assert (before["excellent_projects"], len(before["model_communities"]), before["subsidies"]["awarded_fen"]) == (
        1,
        1,
        1_000_000,
    )
    for kind in ("project", "community"):
        objection_id = await object_to(client, session, notice, items[kind])
        ok(await client.post(f"{url}/objections/{objection_id}/decision", headers=h, json=WITHDRAW))
    kept = await object_to(client, session, notice, items["work_method"])
    ok(
        await client.post(
            f"{url}/objections/{kept}/decision",
            headers=h,
            json={"outcome": "dismissed", "reply": "经核查，该工作法材料齐全，维持评审结果。"},
        )
    )
    read = ok(await client.get(url, headers=ew.h["supervisor"]))
    assert read["withdrawn"] == {
        "community": [str(ew.pw.tree.community_a1.id)],
        "project": [ew.projects["p2"]],
        "work_method": [],
    }
    summary = ok(await client.get(f"{url}/report", headers=h, params={"level": "campaign"}))
    assert (
        summary["excellent_projects"],
        summary["model_communities"],
        summary["subsidies"]["awarded_fen"],
        summary["subsidies"]["withdrawn_fen"],
        len(summary["work_methods"]),
    ) == (0, [], 0, 1_000_000, 1)
    assert summary["withdrawn"]["project"] == [ew.projects["p2"]]
    assert summary["grade_counts"]["优秀"] == 1  # the grade is the evaluation's; only the award goes
    street = ok(await client.get(f"{url}/report", headers=h, params={"level": "street"}))["rows"][0]
    assert (street["excellent"], street["subsidy_fen"], street["优秀"]) == (0, 0, 1)
    csv = (await client.get(f"{url}/report", headers=h, params={"format": "csv", "level": "street"})).content
    assert csv.decode("utf-8-sig").splitlines()[1].endswith(",0,0.00")
    sheet = openpyxl.load_workbook(
        io.BytesIO((await client.get(f"{url}/report", headers=h, params={"format": "xlsx"})).content)
    )["评估结果"]
    header = [c.value for c in sheet[1]]
    p2 = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[header.index("等级")] == "优秀")
    assert (p2[header.index("奖项")], p2[header.index("以奖代补（元）")], p2[header.index("异议成立撤销")]) in (
        (None, "0.00", True),
        ("", "0.00", True),
    )
    chart = (await client.get(f"{url}/grade-chart.svg", headers=h)).text
    assert "优秀项目" not in chart
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{url}/finalisation", headers=h))
    body = ok(await client.get(f"{API}/public/notices/{notice['id']}"))["body"]
    assert "撤销以下奖项" in body and "最终优秀项目 0 个，示范社区 0 个，社区工作法 1 项，以奖代补合计 0.00 元" in body


async def test_award_objections_take_only_award_actions(client, session, app, pw):
    ew, url, notice, items = await published_run(client, session, app, pw)
    h = ew.h["district"]
    first = await object_to(client, session, notice, items["project"])
    second = await object_to(client, session, notice, items["project"], "同一项目的另一条异议，材料存疑。")
    problem(
        await client.post(f"{url}/objections/{first}/decision", headers=h, json={**WITHDRAW, "action": "remove"}),
        422,
        "award_objection_action",
    )
    refused = problem(
        await client.post(f"{API}/objections/{first}/decision", headers=ew.h["street_a"], json=WITHDRAW),
        403,
        "award_objection_forbidden",
    )
    assert "district_admin" in refused["detail"]
    assert await count(session, Objection, Objection.status == "open") == 2
    # Nor is an award changed or confirmed as a selected project is: its run handles it.
    problem(
        await client.patch(
            f"{API}/notice-items/{items['project']['id']}",
            headers=ew.h["admin"],
            json={"amount_fen": 1, "reason": "改金额"},
        ),
        409,
        "award_item_not_editable",
    )
    ok(await client.post(f"{url}/objections/{first}/decision", headers=h, json=WITHDRAW))
    problem(
        await client.post(f"{url}/objections/{second}/decision", headers=h, json=WITHDRAW),
        409,
        "award_already_withdrawn",
    )
    problem(await client.post(f"{url}/objections/{first}/decision", headers=h, json=WITHDRAW), 409, "objection_closed")
    ok(
        await client.post(
            f"{url}/objections/{second}/decision", headers=h, json={"outcome": "dismissed", "reply": "该奖项已撤销。"}
        )
    )
    await shift(session, notice["id"], 30)
    problem(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            json={"item_id": items["community"]["id"], "reason": "公示期过后才看到，提出异议。"},
        ),
        409,
        "notice_not_open",
    )


async def test_the_award_notice_links_each_award_to_its_community_finance_page(client, session, app, pw):
    ew, _, notice, items = await published_run(client, session, app, pw)
    page = await client.get(f"/board/notices/{notice['id']}")
    assert page.status_code == 200
    community, district = ew.pw.tree.community_a1.id, ew.pw.tree.district.id
    assert f"/board/communities/{community}/finances" in page.text
    assert f"/board/communities/{district}/finances" not in page.text  # the notice's own region is the district
    assert (await client.get(f"/board/communities/{community}/finances")).status_code == 200
    # Anyone may object to any award on the board, the model community's included.
    assert f'value="{items["community"]["id"]}"' in page.text


def test_award_money_in_exports_is_exact():
    # A float prints 90071992547409.94 for this amount; integer fen print exactly.
    assert plain_yuan(9_007_199_254_740_993) == "90071992547409.93"
    assert (plain_yuan(5), plain_yuan(-1_050)) == ("0.05", "-10.50")
