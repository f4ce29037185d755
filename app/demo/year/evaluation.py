"""November and December: the annual evaluation (experts, a third-party assessor by API token, residents) and
the awards, computed, put under notice, objected to and made final."""

from app.demo.year import Year

CRITERIA = [
    ("need", "需求迫切性", 15),
    ("feasibility", "方案可行性", 15),
    ("innovation", "创新性", 10),
    ("budget", "预算合理性", 15),
    ("team", "团队能力", 15),
    ("participation", "居民参与", 15),
    ("outcomes", "实施成效", 15),
]
# Points below each criterion's maximum, by scorer and project number.
SHORTFALL = {
    ("expert", 2): 1,
    ("expert", 4): 3,
    ("expert2", 2): 2,
    ("expert2", 4): 4,
    ("assessor", 2): 1,
    ("assessor", 4): 2,
}
RATINGS = {"王": {2: 5, 4: 4}, "李": {2: 5, 4: 4}, "赵": {2: 4, 4: 3}, "孙": {2: 5, 4: 5}}


def score(shortfall: int) -> dict:
    """A complete score with every criterion `shortfall` points under its maximum."""
    return {
        "items": [{"criterion": k, "points": max(m - shortfall, 0), "comment": None} for k, _, m in CRITERIA],
        "comment": "台账完整，居民参与度高。",
    }


async def campaign(y: Year) -> None:
    """The district writes its rubric and opens the campaign over the completed projects, weighing experts 0.5,
    residents 0.3 and the third-party assessor 0.2; it assigns both experts and the assessor organisation and
    issues the assessor an API token for this campaign alone."""
    y.on(11, 3)
    district = y.ids["regions"]["福田区"]
    rubric = await y.post(
        "district",
        "/evaluation/rubrics",
        {
            "district_id": district,
            "name": "民生微实事项目评分细则",
            "criteria": [{"key": k, "name": n, "max_points": m} for k, n, m in CRITERIA],
        },
        201,
    )
    completed = [y.ids["projects"][2], y.ids["projects"][4]]
    created = await y.post(
        "district",
        "/evaluation/campaigns",
        {
            "programme_id": y.ids["programme"],
            "title": f"{y.year}年度民生微实事项目评估",
            "rubric_id": rubric["id"],
            "opens_on": y.on(11, 10).isoformat(),
            "closes_on": y.on(11, 30).isoformat(),
            "proposal_ids": completed,
            "weights": {"resident": "0.3", "expert": "0.5", "third_party": "0.2"},
        },
        201,
    )
    y.ids["campaign"] = created["id"]
    y.on(11, 3)
    staff = await y.get("district", "/users", role="evaluator")
    experts = {u["username"]: u["id"] for u in staff["items"]}
    for part in ("expert", "expert2"):
        await y.post(
            "district",
            f"/evaluation/campaigns/{created['id']}/assignments",
            {"evaluator_id": experts[y.cast.staff[part]], "proposal_ids": completed},
            201,
        )
    assessor = y.ids["organisations"]["assessor"]
    await y.post(
        "district",
        f"/evaluation/campaigns/{created['id']}/assignments",
        {"organisation_id": assessor, "proposal_ids": completed},
        201,
    )
    issued = await y.post(
        "district",
        "/api-tokens",
        {
            "organisation_id": assessor,
            "name": "评估接口",
            "campaign_id": created["id"],
            "scopes": ["assessments:read", "assessments:write"],
        },
        201,
    )
    y.cast.tokens["assessor"] = {"Authorization": f"Bearer {issued['token']}"}


async def scoring(y: Year) -> None:
    """While the window is open the experts and the assessor's system submit scores, residents on the roll
    rate the projects from their phones, and each street files its self-inspection report."""
    y.on(11, 12)
    cid = y.ids["campaign"]
    for (scorer, number), shortfall in SHORTFALL.items():
        url = f"/evaluation/campaigns/{cid}/projects/{y.ids['projects'][number]}/score/submit"
        await y.post(scorer, url, score(shortfall))
    for resident, ratings in RATINGS.items():
        for number, stars in ratings.items():
            await y.post(
                resident,
                f"/evaluation/campaigns/{cid}/projects/{y.ids['projects'][number]}/satisfaction",
                {"rating": stars},
                201,
            )
    for part, street in (("street", "莲花街道"), ("street_b", "香蜜湖街道")):
        response = await y.send(
            part,
            "PUT",
            f"/evaluation/campaigns/{cid}/streets/{y.ids['regions'][street]}/self-inspection",
            {
                "work_done": "完成试点项目的征集、审议、投票与实施。",
                "problems": "部分项目进度滞后。",
                "lessons": "加强事前协商。",
            },
        )
        assert response.status_code in (200, 201), response.text


async def awards(y: Year) -> None:
    """December: the window has closed. The district computes the awards, approves the run and puts every award
    under notice. A resident's objection to the first project is answered and dismissed; an objection to the
    second project's 以奖代补 is upheld and withdraws that award alone, and the district's figures leave it out.
    After the window the list is final: the remaining subsidy is received into its community's pilot from the
    award fund, committed against it, and finance pays it."""
    y.on(12, 1)
    cid, community = y.ids["campaign"], y.ids["regions"]["彩田社区"]
    run = await y.post(
        "district",
        f"/evaluation/campaigns/{cid}/award-runs",
        {
            "excellent_top_n": 1,
            "model_communities": 1,
            "subsidy_fund_fen": 1_000_000,
            "subsidy_by_grade": {"优秀": 500_000, "良好": 300_000, "合格": 100_000},
            "nominations": [
                {
                    "community_id": community,
                    "title": "楼栋长议事工作法",
                    "scores": [
                        {"evaluator": "专家甲", "total_points": 88},
                        {"evaluator": "专家乙", "total_points": 92},
                    ],
                }
            ],
        },
        201,
    )
    y.ids["award_run"] = run["id"]
    await y.post("district", f"/award-runs/{run['id']}/approval")
    published = await y.post("district", f"/award-runs/{run['id']}/publication", {})
    notice = await y.get("", f"/public/notices/{published['notice_id']}")
    projects = [i for i in notice["items"] if i["award_kind"] == "project"]
    assert {i["award_kind"] for i in notice["items"]} == {"project", "community", "work_method"}, notice["items"]
    y.on(12, 2)
    for item, reason in (
        (projects[0], "该项目宣传材料不全，是否够得上优秀？"),
        (projects[1], "该项目只是合格，居民反映服务时间常有变动，不应拿以奖代补。"),
    ):
        await y.post("", f"/public/notices/{notice['id']}/objections", {"item_id": item["id"], "reason": reason}, 201)
    queue = {o["item_id"]: o["id"] for o in (await y.get("district", "/objections", notice_id=notice["id"]))["items"]}
    decide = f"/award-runs/{run['id']}/objections/{{}}/decision"
    await y.post(
        "district",
        decide.format(queue[projects[0]["id"]]),
        {"outcome": "dismissed", "reply": "经核查，项目台账与宣传材料齐全，维持评审结果。"},
    )
    await y.post(
        "district",
        decide.format(queue[projects[1]["id"]]),
        {
            "outcome": "upheld",
            "ground": "finding",
            "action": "withdraw",
            "reply": "经核查，该项目服务时间多次临时变动且未公告，撤销其以奖代补。",
        },
    )
    summary = await y.get("district", f"/award-runs/{run['id']}/report", level="campaign")
    assert summary["subsidies"]["withdrawn_fen"] == projects[1]["amount_fen"] > 0, summary["subsidies"]
    assert summary["subsidies"]["awarded_fen"] == projects[0]["amount_fen"], summary["subsidies"]
    y.on(12, 15)
    final = await y.post("district", f"/award-runs/{run['id']}/finalisation")
    assert final["withdrawn"] == [projects[1]["proposal_id"]], final
    assert sum(s["amount_fen"] for s in final["subsidies"]) == summary["subsidies"]["awarded_fen"], final
    y.ids["awards_final"] = final
    y.on(12, 18)
    for subsidy in final["subsidies"]:
        await y.post(
            "finance",
            f"/award-runs/{run['id']}/subsidies/{subsidy['project_id']}/payments",
            {"document_ref": f"福民财拨〔{y.year}〕以奖代补"},
            201,
        )
