"""March: residents propose, staff screen and survey, and the representative meeting deliberates."""

from app.demo.year import Year

# Ballot order is submission order. (title, proposer, type, category, lines: (item, quantity, unit price fen)).
# 长者饭堂 is the social organisation's 公益微创投 application (吴 applies for it); 宣教 reached the community
# on a paper form that staff entered for 钱, who then claimed it with his phone.
PROPOSALS = [
    ("彩田村小区楼道照明改造", "王", "works", "safety", [("LED感应灯", 40, 15_000), ("安装人工", 1, 600_000)]),
    ("长者饭堂助餐服务", "吴", "services", "life_care", [("助餐补贴（人次）", 1_000, 1_500)]),
    ("儿童四点半课堂阅读角", "赵", "goods", "culture_sports", [("图书与书架", 1, 900_000)]),
    ("垃圾分类宣教活动", "钱", "services", "environment", [("宣教活动（场）", 8, 100_000)]),
    ("篮球场整体翻新", "孙", "works", "culture_sports", [("场地翻新", 1, 2_000_000)]),
    ("口袋公园微花园", "周", "goods", "environment", [("花箱与苗木", 20, 40_000)]),  # shortlisted, kept for later
]
FAILING = 5  # the basketball court: too costly for one year
# Two representatives are called 张伟: the second is told apart by the compound he lives in.
REPRESENTATIVES = [
    ("王建国", None),
    ("李秀英", None),
    ("张伟", None),
    ("刘芳", None),
    ("陈静", None),
    ("张伟", "彩田村小区"),
]


ORGANISATION = "吴"
ASSISTED = "钱"
VENTURE_PLAN = {
    "target_group": "社区60岁以上独居、空巢老人",
    "target_size": 80,
    "service_content": "工作日午间助餐，行动不便者送餐上门。",
    "service_hours": 500,
    "outputs": "全年助餐1000人次。",
    "outcome_indicators": "服务对象满意度不低于90%。",
}
PAPER_FORM = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # the scanned 居民提案申请表


async def proposals(y: Year) -> None:
    """Residents write and submit their proposals from their phones; the social organisation applies for its
    project; staff enter one from a paper form, which its resident claims and submits himself. Each resident
    proposes in the community whose roll they are on."""
    y.on(3, 3)
    community = y.ids["regions"]["彩田社区"]
    ids = y.ids.setdefault("proposals", [])
    for title, proposer, project_type, category, lines in PROPOSALS:
        content = {
            "community_id": community,
            "title": title,
            "kind": "livelihood",
            "project_type": project_type,
            "category": category,
            "need": "居民议事会上多次反映的需求。",
            "plan": "由社区组织实施，分阶段完成。",
            "benefits": "惠及小区居民约300户。",
            "budget_lines": [{"item": i, "quantity": q, "unit_price_fen": p} for i, q, p in lines],
        }
        if proposer == ORGANISATION:
            content |= {"kind": "venture", "as_organisation": True, "venture_plan": VENTURE_PLAN}
        if proposer == ASSISTED:
            draft = await _entered_for(y, proposer, content)
        else:
            draft = await y.post(proposer, "/proposals", content, 201)
        await y.post(proposer, f"/proposals/{draft['id']}/submit")
        ids.append(draft["id"])


async def _entered_for(y: Year, resident: str, content: dict) -> dict:
    """Staff type in a paper form for the resident, attach its scan; the resident finds it and claims it."""
    draft = await y.post(
        "staff",
        "/assisted-proposals",
        {**content, "channel": "paper_form", "proposer": {"name": f"{resident}先生", "phone": y.cast.phones[resident]}},
        201,
    )
    await y.post(
        "staff",
        f"/proposals/{draft['id']}/attachments",
        status=201,
        files={"file": ("居民提案申请表.pdf", PAPER_FORM, "application/pdf")},
    )
    waiting = (await y.get(resident, "/claimable-proposals"))["items"]
    assert [p["id"] for p in waiting] == [draft["id"]], waiting
    return await y.post(resident, f"/proposals/{draft['id']}/claim")


async def screening_and_survey(y: Year) -> None:
    """Community staff screen each proposal against the negative list and caps, and survey residents' views."""
    y.on(3, 6)
    for pid in y.ids["proposals"]:
        await y.post("staff", f"/proposals/{pid}/screenings", {}, 201)
        await y.post("staff", f"/proposals/{pid}/transitions", {"to": "under_survey"})
        await y.post(
            "staff",
            f"/proposals/{pid}/survey-notes",
            {
                "method": "questionnaire",
                "findings": "入户问卷：多数居民支持。",
                "respondents": 60,
                "surveyed_on": y.on(3, 10).isoformat(),
            },
            201,
        )
        await y.post("staff", f"/proposals/{pid}/transitions", {"to": "in_deliberation"})


async def representative_meeting(y: Year) -> None:
    """The community's six representatives are on the roster; a meeting is announced and its notice posted;
    four sign in (quorate: at least two thirds of all six). Five proposals pass with four votes (more than half
    of all six); on the basketball court the representative 刘芳 has to leave before voting."""
    y.on(3, 13)
    community = y.ids["regions"]["彩田社区"]
    reps = []
    for name, unit in REPRESENTATIVES:
        reps.append(
            (
                await y.post(
                    "staff",
                    f"/communities/{community}/representatives",
                    {"name": name, "unit_id": y.ids["regions"][unit] if unit else None},
                    201,
                )
            )["id"]
        )
    y.ids["representatives"] = reps
    held_on = y.on(3, 20)
    y.on(3, 13)
    meeting = await y.post(
        "staff",
        f"/communities/{community}/meetings",
        {
            "topic": f"{y.year}年民生微实事项目协商审议",
            "scheduled_at": f"{held_on.isoformat()}T10:00:00+08:00",
            "place": "社区党群服务中心",
            "host": "社区居委会主任",
            "participants": "全体居民代表，居务监督委员会列席",
            "programme_id": y.ids["programme"],
        },
        201,
    )
    y.ids["meeting"] = meeting["id"]
    await y.post("staff", f"/meetings/{meeting['id']}/notice", {}, 201)
    y.on(3, 20)
    await y.post("staff", f"/meetings/{meeting['id']}/open")
    present = reps[:4]
    for rep in present:
        await y.post("staff", f"/meetings/{meeting['id']}/sign-ins", {"representative_id": rep}, 201)
    motions = y.ids.setdefault("motions", {})
    for number, pid in enumerate(y.ids["proposals"], start=1):
        motion = await y.post("staff", f"/meetings/{meeting['id']}/motions", {"proposal_id": pid}, 201)
        motions[number] = motion["id"]
        voters = present[:3] if number == FAILING else present
        for i, rep in enumerate(voters):
            choice = "against" if number == FAILING and i > 0 else "for"
            await y.post(
                "staff",
                f"/motions/{motion['id']}/votes",
                {"representative_id": rep, "choice": choice, "signature_ref": "表决签名表第1页"},
                201,
            )
        if number != FAILING:
            await y.post("staff", f"/motions/{motion['id']}/decision", {"discussion": "代表们认为项目必要，预算合理。"})


async def close_meeting(y: Year) -> None:
    """The basketball court is decided without 刘芳's vote, which the host confirms with the reason in the
    minutes: it fails (too costly for one year). The meeting closes and its announcement ends."""
    await y.post(
        "staff",
        f"/motions/{y.ids['motions'][FAILING]}/decision",
        {
            "discussion": "代表认为篮球场翻新超出本年度资金，暂不实施。",
            "confirm_incomplete": True,
            "incomplete_reason": "刘芳代表因家中有事提前离会，未参加本项表决。",
        },
    )
    await y.post("staff", f"/meetings/{y.ids['meeting']}/close", {"summary": "会议有效，五个项目入围。"})
