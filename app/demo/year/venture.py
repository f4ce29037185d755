"""公益微创投 in a neighbouring district: social organisations apply with a 项目书, an expert panel reviews and
selects, the selection goes under 公示 (where an upheld objection moves the money down the ranking), and the
confirmed projects are committed and paid like any other.

福田区 runs 民生微实事 this year; 罗湖区 runs a 公益微创投 programme selected by expert review (a district has
one programme a year). Its money is 罗湖区's, read by its own finance staff.
"""

from app.demo.year import Year, ok
from app.demo.year.cast import PASSWORD

DISTRICT, STREET, COMMUNITY = "罗湖区", "莲塘街道", "莲塘社区"
STAFF = {
    "lh_district": ("district_admin", DISTRICT, "罗湖区民政局 许科长"),
    "lh_street": ("street_admin", STREET, "莲塘街道 梁主任"),
    "lh_staff": ("community_staff", COMMUNITY, "莲塘社区 社工小冯"),
    "lh_finance": ("finance", DISTRICT, "罗湖区民政局财务 邓会计"),
}
# 莲塘长者服务社: a 民办非企业单位 registered with 罗湖区民政局 (check character computed per GB 32100-2015).
CREDIT_CODE = "52440303MJL000200M"
PEOPLE = {"何": "13900000010"}
CERTIFICATE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# (title, cost in fen): a fifth of each budget is the social workers' time, within the programme's cap.
APPLICATIONS = [("长者智慧助老课堂", 1_600_000), ("困境儿童成长陪伴", 1_200_000), ("社区心理疏导服务", 1_000_000)]
# The two experts' totals. 罗老师 supervised the children's project's social workers and declares it (回避).
SCORES = {"expert": (88, 82, 75), "expert2": (86, None, 78)}
RUBRIC = [
    ("need", "需求迫切性", 20),
    ("feasibility", "方案可行性", 20),
    ("team", "团队能力", 20),
    ("budget", "预算合理性", 20),
    ("outcomes", "预期成效", 20),
]


def _points(total: int) -> dict:
    """Points on every criterion of the rubric adding up to total."""
    items, left = [], total
    for key, _, most in RUBRIC:
        items.append({"criterion": key, "points": min(most, left)})
        left -= min(most, left)
    return {"items": items}


async def programme(y: Year) -> None:
    """January: the administrator adds 罗湖区 and its staff; the district opens its 公益微创投 programme selected by
    expert review, the street designates 莲塘社区, the subsidy arrives. 莲塘长者服务社 registers and is verified."""
    y.on(1, 12)
    regions = y.ids["regions"]
    regions[DISTRICT] = (
        await y.post("admin", "/regions", {"name": DISTRICT, "level": "district", "code": "440303"}, 201)
    )["id"]
    regions[STREET] = (
        await y.post("admin", "/regions", {"name": STREET, "level": "street", "parent_id": regions[DISTRICT]}, 201)
    )["id"]
    regions[COMMUNITY] = (
        await y.post("admin", "/regions", {"name": COMMUNITY, "level": "community", "parent_id": regions[STREET]}, 201)
    )["id"]
    for part, (role, region, display) in STAFF.items():
        username = part.replace("_", "-")
        await y.post(
            "admin",
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "display_name": display,
                "role": role,
                "region_id": regions[region],
            },
            201,
        )
        y.cast.staff[part] = username
    v = y.ids.setdefault("venture", {})
    created = await y.post(
        "lh_district",
        "/programmes",
        {
            "district_id": regions[DISTRICT],
            "year": y.year,
            "name": f"{y.year}年度公益微创投",
            "rules": {"selection": {"method": "review"}, "venture": {"personnel_max_pct": 30}},
        },
        201,
    )
    v["programme"] = created["id"]
    pilot = await y.post("lh_street", f"/programmes/{created['id']}/pilots", {"community_id": regions[COMMUNITY]}, 201)
    v["pilot"] = pilot["id"]
    await y.post("lh_district", f"/programmes/{created['id']}/open")
    subsidy = next(
        s for s in await y.get("lh_district", f"/pilots/{pilot['id']}/fund-sources") if s["kind"] == "district_subsidy"
    )
    await y.post(
        "lh_district",
        f"/fund-sources/{subsidy['id']}/funds-in",
        {
            "amount_fen": subsidy["planned_fen"],
            "entry_date": y.on(1, 12).isoformat(),
            "document_ref": f"罗民〔{y.year}〕5号",
        },
        201,
    )
    # The organisation registers itself, files its certificate, and the street verifies it.
    y.cast.phones.update(PEOPLE)
    org = await y.post(
        "何",
        "/organisations/register",
        {
            "name": "莲塘长者服务社",
            "credit_code": CREDIT_CODE,
            "registration_authority": "罗湖区民政局",
            "legal_representative": "何丽",
            "contact_name": "何丽",
            "contact_phone": PEOPLE["何"],
            "service_area_id": regions[COMMUNITY],
        },
        201,
    )
    v["organisation"] = org["id"]
    await y.post(
        "何",
        f"/organisations/{org['id']}/documents",
        status=201,
        files={"file": ("民办非企业单位登记证书.pdf", CERTIFICATE, "application/pdf")},
    )
    y.on(1, 14)
    await y.post("lh_street", f"/organisations/{org['id']}/verify", {"reason": "登记证书与民政登记信息一致。"})


async def applications(y: Year) -> None:
    """March: the organisation applies three times with its 项目书; community staff screen each application."""
    y.on(3, 4)
    v = y.ids["venture"]
    v["applications"] = []
    for title, cost in APPLICATIONS:
        personnel = cost // 5
        draft = await y.post(
            "何",
            "/proposals",
            {
                "community_id": y.ids["regions"][COMMUNITY],
                "title": title,
                "kind": "venture",
                "as_organisation": True,
                "project_type": "services",
                "category": "life_care",
                "need": "社区调研显示该群体服务缺口明显。",
                "plan": "专业社工带领志愿者，按季度开展服务。",
                "benefits": "服务对象满意度不低于90%。",
                "venture_plan": {
                    "target_group": "莲塘社区居民",
                    "target_size": 60,
                    "service_content": title,
                    "service_hours": 300,
                    "outputs": "全年服务不少于40场。",
                    "outcome_indicators": "服务对象满意度不低于90%。",
                },
                "budget_lines": [
                    {"item": "社工服务费", "quantity": 1, "unit_price_fen": personnel, "is_personnel": True},
                    {"item": "活动物资", "quantity": 1, "unit_price_fen": cost - personnel},
                ],
            },
            201,
        )
        await y.post("何", f"/proposals/{draft['id']}/submit")
        await y.post("lh_staff", f"/proposals/{draft['id']}/screenings", {}, 201)
        v["applications"].append(draft["id"])


async def review(y: Year) -> None:
    """May: the district's rubric; a panel of the two experts with 30,000元, which it holds from then on; a
    pitch; 罗老师 declares his link to the children's project (回避); the experts score."""
    y.on(5, 13)
    v = y.ids["venture"]
    ids = v["applications"]
    rubric = await y.post(
        "lh_district",
        "/evaluation/rubrics",
        {
            "district_id": y.ids["regions"][DISTRICT],
            "name": "公益微创投项目评审细则",
            "criteria": [{"key": k, "name": n, "max_points": m} for k, n, m in RUBRIC],
        },
        201,
    )
    experts = [(await y.get(part, "/auth/me"))["user_id"] for part in ("expert", "expert2")]
    v["rubric"], v["experts"] = rubric["id"], experts
    panel = await y.post(
        "lh_street",
        "/review-panels",
        {
            "pilot_id": v["pilot"],
            "title": f"{y.year}年度公益微创投评审",
            "rubric_id": rubric["id"],
            "budget_fen": 3_000_000,
            "proposal_ids": ids,
            "expert_ids": experts,
        },
        201,
    )
    v["panel"] = panel["id"]
    url = f"/review-panels/{panel['id']}"
    ok(
        await y.send(
            "lh_street",
            "PUT",
            f"{url}/pitch",
            {
                "held_on": y.day(5, 14).isoformat(),
                "place": "莲塘街道党群服务中心",
                "presenters": [{"proposal_id": i, "presenter": "项目负责人"} for i in ids],
            },
        )
    )
    y.on(5, 14)
    await y.post(
        "expert2", f"{url}/applications/{ids[1]}/conflict-declaration", {"reason": "曾督导该项目的社工团队。"}, 204
    )
    for part, totals in SCORES.items():
        for pid, total in zip(ids, totals, strict=True):
            if total is not None:
                ok(await y.send(part, "PUT", f"{url}/applications/{pid}/score", _points(total)))


async def close(y: Year) -> None:
    """The close ranks 助老课堂 (87), 儿童陪伴 (82), 心理疏导 (76.5) and funds the first two (28,000元)
    greedily within the budget; the 2,000元 left are released to the pilot."""
    y.on(5, 16)
    v = y.ids["venture"]
    v["result"] = await y.post("lh_street", f"/review-panels/{v['panel']}/close")


async def notice_and_objection(y: Year) -> None:
    """The selection goes under notice; a resident shows that 助老课堂 duplicates a course the district already
    funds, the objection is upheld, and its 16,000元 go down the ranking to 心理疏导 (10,000元), which is
    published under the same notice with a window of its own. The notice concludes; both are confirmed."""
    y.on(5, 16)
    v = y.ids["venture"]
    notice = await y.post("lh_street", f"/review-panels/{v['panel']}/notice", {}, 201)
    v["notice"] = notice["id"]
    y.on(5, 19)
    top = next(i for i in notice["items"] if i["proposal_id"] == v["applications"][0])
    filed = await y.post(
        "",
        f"/public/notices/{notice['id']}/objections",
        {"item_id": top["id"], "reason": "区老年大学已在本社区开设同类智能手机课程，属重复资助。", "contact": "匿名"},
        201,
    )
    y.on(5, 20)
    v["decision"] = await y.post(
        "lh_staff",
        f"/objections/{filed['id']}/decision",
        {
            "outcome": "upheld",
            "ground": "finding",
            "action": "remove",
            "reply": "经核查属实，该项目与区老年大学课程重复，撤销入选，资金依次递补。",
        },
    )
    y.on(5, 27)
    await y.post("lh_staff", f"/notices/{notice['id']}/conclude")
    notice = await y.get("lh_staff", f"/notices/{notice['id']}")
    v["projects"] = []
    for item in notice["items"]:
        if item["status"] == "under_notice":
            await y.post(
                "lh_staff", f"/notice-items/{item['id']}/confirmation", {"entry_date": y.day(5, 27).isoformat()}, 201
            )
            v["projects"].append(item["proposal_id"])


async def under_way(y: Year) -> None:
    """The organisation starts both projects; services are paid half on agreement."""
    y.on(5, 28)
    v = y.ids["venture"]
    for pid in v["projects"]:
        await y.post(
            "lh_staff",
            f"/projects/{pid}/implementation",
            {
                "implementer_kind": "organisation",
                "organisation_id": v["organisation"],
                "milestones": [
                    {"title": "签订服务协议", "due_on": f"{y.year}-06-15"},
                    {"title": "服务完成", "due_on": f"{y.year}-11-30"},
                ],
            },
            201,
        )
        await y.post(
            "lh_finance",
            f"/projects/{pid}/disbursements",
            {"instalment": 1, "paid_on": y.day(5, 28).isoformat(), "document_ref": f"罗付 {pid[:8]}-1"},
            201,
        )
