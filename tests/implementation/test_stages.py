"""Mid-term review, acceptance with rectification, closure with waivers and the return of unspent money."""

import uuid
from datetime import timedelta

import pytest

from app.common.models import utcnow
from app.funds.models import LedgerEntry, PilotBalance, ProjectBalance
from app.implementation.review_models import Closure
from app.notices.rules import today
from tests.factories import make_tree
from tests.implementation.helpers import acceptance, instalment, milestones_done, started_project
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count, make_pworld

EVALUATION = {"self_evaluation": "已完成灯具采购，安装进度过半，经费使用规范。"}


@pytest.fixture
async def pw(client, session, app):
    """Goods pay half on agreement and half after acceptance; a mid-term review and an expert are required."""
    return await make_pworld(
        client,
        session,
        app,
        await make_tree(session),
        rules={
            "implementation": {
                "mid_term_review": True,
                "acceptance_expert": True,
                "instalments": {
                    "goods": [{"share_pct": 50, "gate": "agreement"}, {"share_pct": 50, "gate": "acceptance"}]
                },
            }
        },
    )


def future(days: int) -> str:
    return (today(utcnow()) + timedelta(days=days)).isoformat()


def expert(passed: bool = True) -> dict:
    return {"name": "陈工", "organisation": "深圳市社会组织评估中心", "passed": passed, "opinion": "符合验收标准。"}


async def test_mid_term_review_releases_or_stops_payment(client, session, app, pw):
    h, street, fin = pw.h["staff_a1"], pw.h["street_a"], pw.h["finance"]
    project = await started_project(client, session, app, pw, mid_term_due_on=future(30))
    pid = project["proposal_id"]
    pay = f"{API}/projects/{pid}/disbursements"
    ok(await client.post(pay, headers=fin, json=instalment(1)), 201)
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")

    review = ok(await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 201)
    assert (review["late"], review["outcome"]) == (False, None)
    problem(
        await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 409, "review_pending"
    )
    decision = f"{API}/mid-term-reviews/{review['id']}/decision"
    problem(
        await client.post(decision, headers=h, json={"outcome": "passed", "note": "自己批准"}), 403, "role_forbidden"
    )
    failed = ok(
        await client.post(
            decision, headers=street, json={"outcome": "failed", "note": "台账不全", "resubmit_by": future(10)}
        )
    )
    assert failed["outcome"] == "failed"
    problem(await client.post(pay, headers=fin, json=instalment(2)), 409, "payments_stopped")
    ok(
        await client.post(
            f"{API}/projects/{pid}/expenditures",
            headers=h,
            json={
                "budget_line": 1,
                "payee": "照明公司",
                "amount_fen": 100,
                "invoice_no": "A1",
                "spent_on": "2025-08-02",
            },
        ),
        201,
    )

    second = ok(await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 201)
    assert second["attempt"] == 2
    ok(
        await client.post(
            f"{API}/mid-term-reviews/{second['id']}/decision",
            headers=street,
            json={"outcome": "passed", "note": "台账已补齐"},
        )
    )
    problem(await client.post(pay, headers=fin, json=instalment(2)), 409, "gate_not_met")  # acceptance still due
    reviews = ok(await client.get(f"{API}/projects/{pid}/mid-term-reviews", headers=h))
    assert [r["outcome"] for r in reviews] == ["failed", "passed"]


async def test_late_self_evaluation_stops_payment_and_allows_termination(client, session, app, pw):
    h, street = pw.h["staff_a1"], pw.h["street_a"]
    project = await started_project(client, session, app, pw, mid_term_due_on="2025-07-15")
    pid = project["proposal_id"]
    # The self-evaluation was due on 2025-07-15 and has not come: nothing is paid, not even the advance.
    problem(
        await client.post(f"{API}/projects/{pid}/disbursements", headers=pw.h["finance"], json=instalment(1)),
        409,
        "payments_stopped",
    )
    problem(
        await client.post(
            f"{API}/projects/{pid}/termination", headers=h, json={"ended_on": "2025-09-30", "reason": "中期评估逾期"}
        ),
        403,
        "role_forbidden",
    )
    late = ok(await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 201)
    assert (late["late"], late["outcome"]) == (True, "failed")
    problem(
        await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 409, "no_resubmission"
    )

    ended = ok(
        await client.post(
            f"{API}/projects/{pid}/termination",
            headers=street,
            json={"ended_on": "2025-09-30", "reason": "中期评估逾期，项目终止"},
        ),
        201,
    )
    assert (ended["terminated"], ended["returned_fen"]) == (True, 1_000_000)
    assert ok(await client.get(f"{API}/proposals/{pid}", headers=h))["state"] == "terminated"
    balance = await session.get(ProjectBalance, uuid.UUID(pid), populate_existing=True)
    assert (balance.committed_fen, balance.returned_fen, balance.disbursed_fen) == (1_000_000, 1_000_000, 0)
    problem(
        await client.post(f"{API}/projects/{pid}/disbursements", headers=pw.h["finance"], json=instalment(2)),
        409,
        "project_ended",
    )


async def test_termination_leaves_no_budget_change_waiting(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = (await started_project(client, session, app, pw, mid_term_due_on="2025-07-15"))["proposal_id"]
    ok(
        await client.post(
            f"{API}/projects/{pid}/budget-changes",
            headers=h,
            json={"purpose": "改为安装监控摄像头", "reason": "居民提出安全需求"},
        ),
        201,
    )
    ok(
        await client.post(
            f"{API}/projects/{pid}/termination",
            headers=pw.h["street_a"],
            json={"ended_on": "2025-09-30", "reason": "中期评估逾期，项目终止"},
        ),
        201,
    )
    [change] = ok(await client.get(f"{API}/projects/{pid}/budget-changes", headers=h))
    assert change["state"] == "lapsed" and "2025-09-30 终止" in change["lapsed_reason"]


async def test_acceptance_below_the_satisfaction_floor_goes_to_rectification(client, session, app, pw):
    h = pw.h["staff_a1"]
    project = await started_project(client, session, app, pw, mid_term_due_on=future(30))
    pid = project["proposal_id"]
    url = f"{API}/projects/{pid}/acceptances"
    problem(await client.post(url, headers=h, json=acceptance()), 422, "expert_required")
    low = ok(
        await client.post(
            url, headers=h, json=acceptance(expert=expert(), survey={"respondents": 50, "satisfied": 34})
        ),
        201,
    )
    assert (low["outcome"], low["reasons"], low["satisfaction_pct"]) == (
        "rectification",
        ["satisfaction_below_floor"],
        68.0,
    )
    problem(
        await client.post(
            f"{API}/projects/{pid}/closure",
            headers=h,
            json={"closed_on": "2025-09-30", "summary": "项目已全部完成并通过验收。"},
        ),
        409,
        "project_not_accepted",
    )
    problem(await client.post(url, headers=h, json=acceptance(expert=expert())), 422, "rectification_report_required")
    again = ok(
        await client.post(
            url,
            headers=h,
            json=acceptance(
                expert=expert(),
                survey={"respondents": 50, "satisfied": 35},
                rectification_report="补装两盏灯并调整感应时长，居民回访满意。",
            ),
        ),
        201,
    )
    assert (again["attempt"], again["outcome"], again["reasons"]) == (2, "accepted", [])


async def test_closure_needs_waivers_and_returns_what_was_not_paid(client, session, app, pw):
    h, fin = pw.h["staff_a1"], pw.h["finance"]
    project = await started_project(client, session, app, pw, mid_term_due_on=future(30))
    pid = project["proposal_id"]
    pay = f"{API}/projects/{pid}/disbursements"
    ok(await client.post(pay, headers=fin, json=instalment(1)), 201)
    review = ok(await client.post(f"{API}/projects/{pid}/mid-term-reviews", headers=h, json=EVALUATION), 201)
    ok(
        await client.post(
            f"{API}/mid-term-reviews/{review['id']}/decision",
            headers=pw.h["street_a"],
            json={"outcome": "passed", "note": "进度正常"},
        )
    )
    await milestones_done(client, h, project, "2025-07-01")
    ok(await client.post(f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance(expert=expert())), 201)
    ok(await client.post(pay, headers=fin, json=instalment(2, amount_fen=300_000)), 201)  # it cost less

    url = f"{API}/projects/{pid}/closure"
    report = {"closed_on": "2025-09-30", "summary": "更换楼道感应灯36盏，居民夜间出行更安全。", "beneficiaries": 120}
    before = (await count(session, Closure), await count(session, LedgerEntry))
    body = problem(await client.post(url, headers=h, json=report), 409, "open_milestones")
    assert [m["title"] for m in body["milestones"]] == ["安装完成"]
    problem(
        await client.post(
            url,
            headers=h,
            json={**report, "waive": [{"milestone_id": project["milestones"][0]["id"], "reason": "已完成的节点"}]},
        ),
        422,
        "waiver_not_open_milestone",
    )
    problem(
        await client.post(
            url, headers=h, json={**report, "waive": [{"milestone_id": project["milestones"][1]["id"], "reason": "短"}]}
        ),
        422,
        "validation_error",
    )
    assert (await count(session, Closure), await count(session, LedgerEntry)) == before

    closed = ok(
        await client.post(
            url,
            headers=h,
            json={
                **report,
                "waive": [{"milestone_id": project["milestones"][1]["id"], "reason": "安装与采购合并完成"}],
            },
        ),
        201,
    )
    assert (closed["terminated"], closed["returned_fen"]) == (False, 200_000)
    assert ok(await client.get(f"{API}/proposals/{pid}", headers=h))["state"] == "completed"
    balance = await session.get(ProjectBalance, uuid.UUID(pid), populate_existing=True)
    assert (balance.committed_fen, balance.disbursed_fen, balance.returned_fen) == (1_000_000, 800_000, 200_000)
    pilot = await session.get(PilotBalance, balance.pilot_id, populate_existing=True)
    assert pilot.returned_fen == 200_000  # free for the pilot to commit again
    public = ok(await client.get(f"{API}/public/projects/{pid}/closure"))
    assert public["summary"].startswith("更换楼道感应灯")
    view = ok(await client.get(f"{API}/public/projects/{pid}/progress"))
    assert view["status"] == "closed" and view["milestones"][1]["waived_reason"] == "安装与采购合并完成"
    problem(await client.post(url, headers=h, json=report), 409, "project_not_accepted")
    problem(await client.post(pay, headers=fin, json=instalment(2)), 409, "project_ended")
    page = (await client.get(f"/board/projects/{pid}")).text
    for shown in ("已结项", "结项报告", "取消（安装与采购合并完成）", "第2期（50%）", "验收通过", "结余退回 2,000.00"):
        assert shown in page, shown
