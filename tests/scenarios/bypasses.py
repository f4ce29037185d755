"""Ways around the process, tried at the point of the year where someone would try them: each must be refused
with a problem response naming the rule, and change nothing a finance officer or the public can see."""

import uuid

from app.core import clock
from app.demo.year import Year

CAITIAN = "彩田社区"


async def books(y: Year) -> dict:
    """What any movement of money would change: every pilot's balance and the caitian ledger's length."""
    pilots = {**y.ids["pilots"], **y.ids.get("next_pilots", {})}
    balances = {c: await y.get("finance", f"/pilots/{p}/balance") for c, p in pilots.items()}
    if "pilot" in y.ids.get("venture", {}):
        balances["莲塘社区"] = await y.get("lh_finance", f"/pilots/{y.ids['venture']['pilot']}/balance")
    ledger = await y.get("finance", f"/pilots/{y.ids['pilots'][CAITIAN]}/ledger", limit=1)
    return {"balances": balances, "ledger_entries": ledger["total"]}


async def refused(y: Year, who: str, method: str, path: str, body: dict | None, status: int, code: str) -> dict:
    """The request is refused with this status and code, as problem+json, and the books are as they were."""
    before = await books(y)
    response = await y.send(who, method, path, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem = response.json()
    assert problem["code"] == code, problem
    assert await books(y) == before, f"{method} {path} was refused but changed the books"
    return problem


async def money_without_a_vote(y: Year) -> None:
    """A commitment straight into the ledger: refused to a street admin (a role of its own: the district's),
    refused to the district without a decision, and refused for a proposal already in the process."""
    pilot = y.ids["pilots"][CAITIAN]
    body = {
        "project_id": str(uuid.uuid4()),
        "project_title": "临时项目",
        "category": "environment",
        "project_type": "services",
        "amount_fen": 500_000,
        "entry_date": clock.today().isoformat(),
    }
    await refused(y, "street", "POST", f"/pilots/{pilot}/commitments", body, 403, "role_forbidden")
    await refused(y, "district", "POST", f"/pilots/{pilot}/commitments", body, 422, "decision_required")
    in_process = {**body, "project_id": y.ids["proposals"][0], "decision_document_ref": "福民〔2025〕99号"}
    await refused(y, "district", "POST", f"/pilots/{pilot}/commitments", in_process, 409, "proposal_in_process")


async def funds_beyond_the_plan(y: Year) -> None:
    """The district subsidy arrives in full; one more yuan is not a receipt but a supplement, which needs its
    document."""
    subsidy = y.ids["sources"][(CAITIAN, "district_subsidy")]
    body = {"amount_fen": 100, "entry_date": clock.today().isoformat(), "document_ref": "福民〔2025〕8号"}
    await refused(y, "district", "POST", f"/fund-sources/{subsidy}/funds-in", body, 409, "funds_in_over_plan")
    supplement = {"amount_fen": 100, "entry_date": clock.today().isoformat(), "supplement": True}
    await refused(
        y, "district", "POST", f"/fund-sources/{subsidy}/funds-in", supplement, 422, "supplement_needs_document"
    )


async def a_second_round_on_the_same_money(y: Year) -> None:
    """While the vote runs, a second round over the spare shortlisted proposal would promise money the first
    round holds."""
    pilot, spare = y.ids["pilots"][CAITIAN], y.ids["proposals"][5]
    opens = f"{y.day(4, 6).isoformat()}T12:00:00+08:00"
    body = {
        "title": "第二轮投票",
        "proposal_ids": [spare],
        "budget_fen": 800_000,
        "opens_at": opens,
        "closes_at": f"{y.day(4, 12).isoformat()}T12:00:00+08:00",
    }
    problem = await refused(
        y, "staff", "POST", f"/pilots/{pilot}/voting-rounds", body, 409, "budget_reserved_by_other_rounds"
    )
    assert "元" in problem["detail"], problem


async def deliberation_shortcuts(y: Year) -> None:
    """At the meeting: the same proposal twice on one agenda, and a decision before every representative who
    signed in has voted (without the host confirming why), are refused."""
    meeting, motion = y.ids["meeting"], y.ids["motions"][5]
    await refused(
        y,
        "staff",
        "POST",
        f"/meetings/{meeting}/motions",
        {"proposal_id": y.ids["proposals"][0]},
        409,
        "proposal_already_on_agenda",
    )
    problem = await refused(
        y, "staff", "POST", f"/motions/{motion}/decision", {"discussion": "直接表决。"}, 409, "votes_missing"
    )
    assert "1" in problem["detail"], problem


async def donor_hidden_on_the_notice(y: Year) -> None:
    """The notice lists each project's funding sources by the finance page's rule: the donor who asked not to be
    named is named on neither."""
    notice = await y.get("", f"/public/notices/{y.ids['notice']}")
    finances = await y.get("", f"/public/communities/{y.ids['regions'][CAITIAN]}/finances")
    assert "爱心企业" not in str(notice) and "爱心企业" not in str(finances)
    assert any(source["kind"] == "donation" for item in notice["items"] for source in item["funding_sources"])


async def another_implementer_at_confirmation(y: Year) -> None:
    """Confirming a project with another implementer than the notice named is a material change: refused, to be
    changed under notice first."""
    notice = await y.get("staff", f"/notices/{y.ids['notice']}")
    item = next(i for i in notice["items"] if i["number"] == 1)
    await refused(
        y,
        "staff",
        "POST",
        f"/notice-items/{item['id']}/confirmation",
        {"implementer": "某装修公司", "entry_date": clock.today().isoformat()},
        409,
        "implementer_changed",
    )


async def spending_past_its_line(y: Year) -> None:
    """An invoice that would take 照明改造's lamps (6,000元, all spent) past their line and the programme's 10%
    tolerance needs a budget change first, though the project's whole budget has room."""
    project = y.ids["projects"][1]
    body = {
        "amount_fen": 100_000,
        "budget_line": 1,
        "invoice_no": "44039999",
        "payee": "灯具供应商",
        "spent_on": clock.today().isoformat(),
    }
    problem = await refused(y, "staff", "POST", f"/projects/{project}/expenditures", body, 409, "budget_line_exceeded")
    assert "元" in problem["detail"], problem


async def paying_more_than_the_project_has(y: Year) -> None:
    """Finance cannot pay 宣教 more than it still has; the refusal says how much of this project remains."""
    project = y.ids["projects"][4]
    body = {"instalment": 2, "amount_fen": 200_000, "paid_on": clock.today().isoformat(), "document_ref": "付款凭证"}
    problem = await refused(y, "finance", "POST", f"/projects/{project}/disbursements", body, 409, "over_commitment")
    assert problem["unspent_fen"] == 150_000 and "1,500.00 元" in problem["detail"], problem


async def waiting_changes_lapse(y: Year) -> None:
    """宣教's request that never reached a meeting lapsed with its reason when the project was accepted."""
    changes = await y.get("", f"/public/projects/{y.ids['projects'][4]}/budget-changes")
    waiting = [c for c in changes if c["new_budget_fen"] == 1_000_000]
    assert [c["state"] for c in waiting] == ["lapsed"] and waiting[0]["lapsed_reason"], changes


async def organisation_shortcuts(y: Year) -> None:
    """A credit code with a wrong check character is refused; an organisation still waiting for verification
    cannot apply for a project."""
    y.cast.phones["冯"] = "13900000009"
    body = {
        "name": "景华邻里互助社",
        "credit_code": "52440304MJL0002000",
        "registration_authority": "福田区民政局",
        "legal_representative": "冯丽",
        "contact_name": "冯丽",
        "contact_phone": "13900000009",
        "service_area_id": y.ids["regions"]["景华社区"],
    }
    problem = await refused(y, "冯", "POST", "/organisations/register", body, 422, "invalid_credit_code")
    assert "校验码" in problem["detail"], problem
    pending = await y.post("冯", "/organisations/register", {**body, "credit_code": "52440304MJL0002004"}, 201)
    assert pending["status"] == "pending", pending
    application = {
        "community_id": y.ids["regions"]["景华社区"],
        "title": "邻里互助",
        "kind": "livelihood",
        "project_type": "services",
        "category": "life_care",
        "need": "需求",
        "plan": "计划",
        "benefits": "效益",
        "as_organisation": True,
        "budget_lines": [{"item": "活动", "quantity": 1, "unit_price_fen": 100_000}],
    }
    await refused(y, "冯", "POST", "/proposals", application, 422, "organisation_not_verified")


async def proposing_outside_ones_community(y: Year) -> None:
    """A resident on 彩田社区's roll cannot propose for 景华社区; staff cannot enter a proposal naming no one."""
    body = {
        "community_id": y.ids["regions"]["景华社区"],
        "title": "别处的项目",
        "kind": "livelihood",
        "project_type": "goods",
        "category": "environment",
        "need": "需求",
        "plan": "计划",
        "benefits": "效益",
        "budget_lines": [{"item": "花箱", "quantity": 1, "unit_price_fen": 100_000}],
    }
    await refused(y, "王", "POST", "/proposals", body, 403, "not_resident_of_community")
    entered = {**body, "community_id": y.ids["regions"][CAITIAN], "channel": "wechat_group", "proposer": {"name": " "}}
    await refused(y, "staff", "POST", "/assisted-proposals", entered, 422, "validation_error")
    assert (await y.get("staff", "/proposals"))["total"] == 0


async def review_shortcuts(y: Year) -> None:
    """While the panel scores: the expert who declared his link to the children's project scores it anyway, and
    the street forms a second panel on money the first one holds. Both are refused."""
    v = y.ids["venture"]
    children = v["applications"][1]
    problem = await refused(
        y,
        "expert2",
        "PUT",
        f"/review-panels/{v['panel']}/applications/{children}/score",
        {"items": [{"criterion": k, "points": 20} for k in ("need", "feasibility", "team", "budget", "outcomes")]},
        409,
        "conflict_of_interest",
    )
    assert problem["reason"] == "declared", problem
    problem = await refused(
        y,
        "lh_street",
        "POST",
        "/review-panels",
        {
            "pilot_id": v["pilot"],
            "title": "追加评审",
            "rubric_id": v["rubric"],
            "budget_fen": 100_000,
            "proposal_ids": v["applications"][:1],
            "expert_ids": v["experts"],
        },
        409,
        "budget_reserved_by_other_rounds",
    )
    assert [p["panel_id"] for p in problem["review_panels"]] == [v["panel"]], problem
