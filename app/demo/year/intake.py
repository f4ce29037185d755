"""March: residents propose, staff screen and survey, and the representative meeting deliberates."""

from app.demo.year import Year

# Ballot order is submission order. (title, proposer, type, category, lines: (item, quantity, unit price fen)).
PROPOSALS = [
    ("彩田村小区楼道照明改造", "王", "works", "safety", [("LED感应灯", 40, 15_000), ("安装人工", 1, 600_000)]),
    ("长者饭堂助餐服务", "李", "services", "life_care", [("助餐补贴（人次）", 1_000, 1_500)]),
    ("儿童四点半课堂阅读角", "赵", "goods", "culture_sports", [("图书与书架", 1, 900_000)]),
    ("垃圾分类宣教活动", "钱", "services", "environment", [("宣教活动（场）", 8, 100_000)]),
    ("篮球场整体翻新", "孙", "works", "culture_sports", [("场地翻新", 1, 2_000_000)]),
]
REPRESENTATIVES = ["王建国", "李秀英", "张伟", "刘芳", "陈静"]


async def proposals(y: Year) -> None:
    """Residents write and submit their proposals from their phones."""
    y.on(3, 3)
    community = y.ids["regions"]["彩田社区"]
    ids = y.ids.setdefault("proposals", [])
    for title, proposer, project_type, category, lines in PROPOSALS:
        draft = await y.post(proposer, "/proposals", {
            "community_id": community, "title": title, "kind": "livelihood", "project_type": project_type,
            "category": category, "need": "居民议事会上多次反映的需求。", "plan": "由社区组织实施，分阶段完成。",
            "benefits": "惠及小区居民约300户。",
            "budget_lines": [{"item": i, "quantity": q, "unit_price_fen": p} for i, q, p in lines]}, 201)
        await y.post(proposer, f"/proposals/{draft['id']}/submit")
        ids.append(draft["id"])


async def screening_and_survey(y: Year) -> None:
    """Community staff screen each proposal against the negative list and caps, and survey residents' views."""
    y.on(3, 6)
    for pid in y.ids["proposals"]:
        await y.post("staff", f"/proposals/{pid}/screenings", {}, 201)
        await y.post("staff", f"/proposals/{pid}/transitions", {"to": "under_survey"})
        await y.post("staff", f"/proposals/{pid}/survey-notes", {
            "method": "questionnaire", "findings": "入户问卷：多数居民支持。", "respondents": 60,
            "surveyed_on": y.on(3, 10).isoformat()}, 201)
        await y.post("staff", f"/proposals/{pid}/transitions", {"to": "in_deliberation"})


async def representative_meeting(y: Year) -> None:
    """The community's five representatives are on the roster; a meeting is announced and its notice posted;
    four sign in (quorate: at least two thirds of all five); four proposals pass and the basketball court,
    too costly for one year, fails. The meeting closes and its announcement ends."""
    y.on(3, 13)
    community = y.ids["regions"]["彩田社区"]
    reps = [(await y.post("staff", f"/communities/{community}/representatives", {"name": name}, 201))["id"]
            for name in REPRESENTATIVES]
    y.ids["representatives"] = reps
    held_at = y.on(3, 20)
    y.on(3, 13)
    meeting = await y.post("staff", f"/communities/{community}/meetings", {
        "topic": f"{y.year}年民生微实事项目协商审议", "scheduled_at": f"{held_at.isoformat()}T10:00:00+08:00",
        "place": "社区党群服务中心", "host": "社区居委会主任", "participants": "全体居民代表，居务监督委员会列席",
        "programme_id": y.ids["programme"]}, 201)
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
        passing = number != 5
        for i, rep in enumerate(present):
            choice = "for" if passing or i == 0 else "against"
            await y.post("staff", f"/motions/{motion['id']}/votes", {
                "representative_id": rep, "choice": choice, "signature_ref": "表决签名表第1页"}, 201)
        discussion = "代表们认为项目必要，预算合理。" if passing else "代表认为篮球场翻新超出本年度资金，暂不实施。"
        await y.post("staff", f"/motions/{motion['id']}/decision", {"discussion": discussion})
    await y.post("staff", f"/meetings/{meeting['id']}/close", {"summary": "会议有效，四个项目入围居民投票。"})
