"""May to October: the three projects are carried out, paid in instalments, changed, reviewed and accepted.

长者饭堂 (services, by 彩虹社工) is paid half on agreement and half on completion, and lowers its budget
within the 10% threshold. 照明改造 (works, by a residents' team) is paid by progress with a 5% retention,
raises its budget above the threshold with a representative meeting's decision, and fails its acceptance
survey (60% satisfied, under the 70% floor), so it goes to rectification and runs into next year.
垃圾分类宣教 (services, by the community) spends less than granted and gives the rest back at closure.
"""

from app.demo.year import Year

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a photo from the site (its bytes are what is checked)


async def start(y: Year) -> None:
    """Each project starts with its implementer and a milestone plan; the first instalments are paid."""
    y.on(5, 6)
    p = y.ids["projects"]
    plans = {
        2: {
            "implementer_kind": "organisation",
            "organisation_id": y.ids["organisations"]["implementer"],
            "milestones": [
                {"title": "签订服务协议", "due_on": f"{y.year}-05-15"},
                {"title": "助餐服务完成", "due_on": f"{y.year}-10-15"},
            ],
            "mid_term_due_on": f"{y.year}-07-31",
        },
        1: {
            "implementer_kind": "resident_team",
            "implementer_name": "彩田村小区居民志愿队",
            "milestones": [
                {"title": "采购灯具", "due_on": f"{y.year}-06-30"},
                {"title": "安装完成", "due_on": f"{y.year}-08-31"},
            ],
            "mid_term_due_on": f"{y.year}-07-31",
        },
        4: {
            "implementer_kind": "community",
            "milestones": [{"title": "八场宣教活动", "due_on": f"{y.year}-09-30"}],
            "mid_term_due_on": f"{y.year}-07-31",
        },
    }
    y.ids["milestones"] = {}
    for number, plan in plans.items():
        started = await y.post("staff", f"/projects/{p[number]}/implementation", plan, 201)
        y.ids["milestones"][number] = [m["id"] for m in started["milestones"]]
    y.ids["started"] = set(p.values())
    y.on(5, 12)
    for number in (2, 4):  # services: half on agreement
        await y.post(
            "finance",
            f"/projects/{p[number]}/disbursements",
            {"instalment": 1, "paid_on": y.on(5, 12).isoformat(), "document_ref": f"付款凭证 {number}-1"},
            201,
        )


async def budget_changes(y: Year) -> None:
    """June: 长者饭堂 needs 1,000元 less (inside the threshold: applied at once); 照明改造 needs 1,500元 more
    (12.5%, above it): the representatives decide at their June meeting, and the change applies then."""
    y.on(6, 2)
    p = y.ids["projects"]
    await y.post(
        "staff", f"/projects/{p[2]}/budget-changes", {"budget_fen": 1_400_000, "reason": "供餐单价经招标下降。"}, 201
    )
    change = await y.post(
        "staff", f"/projects/{p[1]}/budget-changes", {"budget_fen": 1_350_000, "reason": "楼道需增加应急照明灯。"}, 201
    )
    y.on(6, 20)
    community = y.ids["regions"]["彩田社区"]
    meeting = await y.post(
        "staff",
        f"/communities/{community}/meetings",
        {
            "topic": "照明改造项目预算调整",
            "scheduled_at": f"{y.on(6, 20).isoformat()}T15:00:00+08:00",
            "place": "社区党群服务中心",
            "host": "社区居委会主任",
            "participants": "全体居民代表",
        },
        201,
    )
    await y.post("staff", f"/meetings/{meeting['id']}/open")
    reps = y.ids["representatives"]
    for rep in reps:
        await y.post("staff", f"/meetings/{meeting['id']}/sign-ins", {"representative_id": rep}, 201)
    motion = await y.post("staff", f"/meetings/{meeting['id']}/motions", {"proposal_id": p[1]}, 201)
    for rep in reps:
        await y.post(
            "staff",
            f"/motions/{motion['id']}/votes",
            {"representative_id": rep, "choice": "for", "signature_ref": "表决签名表第2页"},
            201,
        )
    await y.post("staff", f"/motions/{motion['id']}/decision", {"discussion": "同意增加应急照明灯，追加预算1,500元。"})
    await y.post("staff", f"/meetings/{meeting['id']}/close", {"summary": "会议有效。"})
    await y.post(
        "staff",
        f"/budget-changes/{change['id']}/decision",
        {"motion_id": motion["id"], "entry_date": y.on(6, 21).isoformat()},
    )


async def progress_and_spending(y: Year) -> None:
    """Milestones are done and reported with photos; invoices are booked against budget lines; works are paid
    by progress."""
    p, milestones = y.ids["projects"], y.ids["milestones"]
    y.on(6, 30)
    await y.post("staff", f"/milestones/{milestones[1][0]}/done", {"done_on": y.on(6, 30).isoformat()})
    photo = await y.post("staff", f"/proposals/{p[1]}/attachments", files={"file": ("灯具到货.png", PNG, "image/png")})
    await y.post(
        "staff",
        f"/projects/{p[1]}/progress",
        {"text": "40盏LED感应灯已到货，开始安装。", "milestone_id": milestones[1][0], "photo_ids": [photo["id"]]},
        201,
    )
    await y.post(
        "finance",
        f"/projects/{p[1]}/disbursements",
        {"instalment": 1, "paid_on": y.on(7, 1).isoformat(), "document_ref": "付款凭证 1-1"},
        201,
    )
    await y.post("staff", f"/milestones/{milestones[2][0]}/done", {"done_on": y.on(7, 1).isoformat()})
    for number, line, amount, invoice, payee in (
        (2, 1, 600_000, "44030001", "彩虹社工服务中心"),
        (4, 1, 300_000, "44030002", "彩田社区居委会"),
        (1, 1, 600_000, "44030003", "灯具供应商"),
    ):
        await y.post(
            "staff",
            f"/projects/{p[number]}/expenditures",
            {
                "amount_fen": amount,
                "budget_line": line,
                "invoice_no": invoice,
                "payee": payee,
                "spent_on": y.on(7, 2).isoformat(),
            },
            201,
        )


async def mid_term_review(y: Year) -> None:
    """July: each implementer files a self-evaluation; the street passes them, so later instalments may flow."""
    y.on(7, 20)
    p = y.ids["projects"]
    reviews = {}
    for number in (1, 2, 4):
        reviews[number] = await y.post(
            "staff", f"/projects/{p[number]}/mid-term-reviews", {"self_evaluation": "按计划推进，资金使用规范。"}, 201
        )
    y.on(7, 25)
    for review in reviews.values():
        await y.post(
            "street",
            f"/mid-term-reviews/{review['id']}/decision",
            {"outcome": "passed", "note": "进度与资金使用符合计划。"},
        )


async def _finished(y: Year, number: int, milestone: int, instalment: int, amount_fen: int | None, day) -> None:
    """A project's last milestone done that day, and finance pays the instalment it unlocks."""
    await y.post("staff", f"/milestones/{y.ids['milestones'][number][milestone]}/done", {"done_on": day.isoformat()})
    await y.post(
        "finance",
        f"/projects/{y.ids['projects'][number]}/disbursements",
        {
            "instalment": instalment,
            "paid_on": day.isoformat(),
            "document_ref": f"付款凭证 {number}-{instalment}",
            **({"amount_fen": amount_fen} if amount_fen else {}),
        },
        201,
    )


async def completion_and_acceptance(y: Year) -> None:
    """Autumn: the last milestones are done, completion instalments paid (长者饭堂's second half follows its
    lowered budget), and the representatives and a resident survey accept the projects; 宣教's request for two
    more sessions never reached a meeting and lapses at acceptance; 照明改造 satisfies only 60% of those asked
    and goes to rectification."""
    p = y.ids["projects"]
    # (project, its last milestone, instalment, amount (None: what is due), invoice, line, spent, payee, day)
    for number, milestone, instalment, amount, invoice, line, spent, payee, (month, day) in (
        (1, 1, 1, None, "44030004", 2, 650_000, "彩田村小区居民志愿队", (8, 31)),  # works: the rest by progress
        (4, 0, 2, 250_000, "44030005", 1, 350_000, "彩田社区居委会", (9, 30)),  # only what was spent
        (2, 1, 2, None, "44030006", 1, 800_000, "彩虹社工服务中心", (10, 15)),
    ):
        await _finished(y, number, milestone, instalment, amount, y.on(month, day))
        await y.post(
            "staff",
            f"/projects/{p[number]}/expenditures",
            {
                "amount_fen": spent,
                "budget_line": line,
                "invoice_no": invoice,
                "payee": payee,
                "spent_on": y.on(month, day).isoformat(),
            },
            201,
        )
    y.on(10, 18)
    await y.post(
        "staff",
        f"/projects/{p[4]}/budget-changes",
        {"budget_fen": 1_000_000, "reason": "居民希望增加两场宣教活动。"},
        201,
    )  # waits for a meeting that never comes
    y.on(10, 20)
    for number, satisfied in ((2, 45), (4, 42), (1, 30)):
        await y.post(
            "staff",
            f"/projects/{p[number]}/acceptances",
            {
                "held_on": y.on(10, 20).isoformat(),
                "representatives": ["王建国", "李秀英", "张伟"],
                "representatives_passed": True,
                "representatives_opinion": "项目按方案完成。",
                "survey": {"respondents": 50, "satisfied": satisfied},
            },
            201,
        )


async def closure(y: Year) -> None:
    """October's end: the two accepted projects close with their reports; money not paid goes back to the
    pilot by a ledger return (宣教 gives back 1,500元)."""
    y.on(10, 31)
    p = y.ids["projects"]
    for number in (2, 4):
        await y.post(
            "staff",
            f"/projects/{p[number]}/closure",
            {"closed_on": y.on(10, 31).isoformat(), "summary": "项目按计划完成，居民反映良好。", "beneficiaries": 300},
            201,
        )
