"""Budget changes: small ones by community staff, large ones (or of category or purpose) by a meeting; public."""

import uuid

from app.funds.models import LedgerEntry, ProjectBalance
from app.implementation.models import Implementation
from app.implementation.payment_models import BudgetChange
from tests.deliberation.helpers import add_motion, close, decide, open_meeting, votes
from tests.implementation.helpers import acceptance, instalment, milestones_done, started_project
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count


async def meeting_decides(client, h, community_id, proposal_id, *, n_for: int) -> dict:
    """A quorate meeting of the community's 3 representatives votes on the project; the decided item."""
    reps = [
        r["id"] for r in ok(await client.get(f"{API}/communities/{community_id}/representatives", headers=h))["items"]
    ]
    meeting = await open_meeting(client, h, community_id, reps, topic="项目预算调整审议")
    motion = await add_motion(client, h, meeting["id"], proposal_id)
    await votes(client, h, motion["id"], reps, n_for=n_for, n_against=len(reps) - n_for)
    decided = ok(await decide(client, h, motion["id"]))
    ok(await close(client, h, meeting["id"]))
    return decided


async def committed(session, pid: str) -> int:
    balance = await session.get(ProjectBalance, uuid.UUID(pid), populate_existing=True)
    return balance.committed_fen - balance.returned_fen


async def test_small_change_applies_at_once_and_is_public(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = (await started_project(client, session, app, pw))["proposal_id"]
    url = f"{API}/projects/{pid}/budget-changes"
    change = ok(
        await client.post(
            url, headers=h, json={"budget_fen": 950_000, "reason": "灯具招标价格低于预算", "entry_date": "2025-06-20"}
        ),
        201,
    )
    assert (change["state"], change["needs_meeting"]) == ("applied", False)
    assert await committed(session, pid) == 950_000
    view = ok(await client.get(f"{API}/projects/{pid}/implementation", headers=h))
    assert view["budget_fen"] == 950_000
    public = ok(await client.get(f"{API}/public/projects/{pid}/budget-changes"))
    assert [(c["old_budget_fen"], c["new_budget_fen"], c["reason"]) for c in public] == [
        (1_000_000, 950_000, "灯具招标价格低于预算")
    ]
    spending = ok(await client.get(f"{API}/public/projects/{pid}/expenditures"))
    assert spending["budget_fen"] == 950_000
    page = (await client.get(f"/board/projects/{pid}")).text
    assert "预算调整" in page and "灯具招标价格低于预算" in page and "已生效" in page


async def test_large_change_waits_for_the_meeting(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = (await started_project(client, session, app, pw))["proposal_id"]
    url = f"{API}/projects/{pid}/budget-changes"
    change = ok(
        await client.post(
            url, headers=h, json={"budget_fen": 1_200_000, "reason": "增加两个楼道的照明", "entry_date": "2025-06-20"}
        ),
        201,
    )
    assert (change["state"], change["needs_meeting"]) == ("awaiting_meeting", True)
    assert await committed(session, pid) == 1_000_000
    problem(
        await client.post(url, headers=h, json={"budget_fen": 990_000, "reason": "小幅调整"}),
        409,
        "budget_change_pending",
    )

    decision = f"{API}/budget-changes/{change['id']}/decision"
    before = (await count(session, LedgerEntry), await count(session, BudgetChange))
    problem(await client.post(decision, headers=h, json={"motion_id": str(uuid.uuid4())}), 422, "motion_unknown")
    assert (await count(session, LedgerEntry), await count(session, BudgetChange)) == before

    motion = await meeting_decides(client, h, pw.tree.community_a1.id, pid, n_for=3)
    applied = ok(await client.post(decision, headers=h, json={"motion_id": motion["id"], "entry_date": "2025-06-25"}))
    assert (applied["state"], applied["motion_id"]) == ("applied", motion["id"])
    assert await committed(session, pid) == 1_200_000
    problem(await client.post(decision, headers=h, json={"motion_id": motion["id"]}), 409, "budget_change_decided")
    impl = await session.get(Implementation, uuid.UUID(pid), populate_existing=True)
    assert impl.budget_fen == 1_200_000


async def test_purpose_change_rejected_by_the_meeting_changes_nothing(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = (await started_project(client, session, app, pw))["proposal_id"]
    change = ok(
        await client.post(
            f"{API}/projects/{pid}/budget-changes",
            headers=h,
            json={"purpose": "改为安装监控摄像头", "reason": "居民提出安全需求"},
        ),
        201,
    )
    assert change["needs_meeting"] is True
    motion = await meeting_decides(client, h, pw.tree.community_a1.id, pid, n_for=1)
    rejected = ok(
        await client.post(f"{API}/budget-changes/{change['id']}/decision", headers=h, json={"motion_id": motion["id"]})
    )
    assert rejected["state"] == "rejected"
    view = ok(await client.get(f"{API}/projects/{pid}/implementation", headers=h))
    assert view["purpose"] != "改为安装监控摄像头" and view["budget_fen"] == 1_000_000


async def test_bad_changes_are_refused(client, session, app, pw):
    h = pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)
    pid = project["proposal_id"]
    url = f"{API}/projects/{pid}/budget-changes"
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    ok(
        await client.post(
            f"{API}/projects/{pid}/acceptances",
            headers=h,
            json={
                "held_on": "2025-08-05",
                "representatives": ["张三"],
                "representatives_passed": True,
                "representatives_opinion": "合格",
                "survey": {"respondents": 10, "satisfied": 9},
            },
        ),
        201,
    )
    ok(await client.post(f"{API}/projects/{pid}/disbursements", headers=pw.h["finance"], json=instalment(1)), 201)
    before = await count(session, BudgetChange)
    problem(
        await client.post(url, headers=h, json={"budget_fen": 990_000, "reason": "验收后调整"}), 409, "project_status"
    )
    assert await count(session, BudgetChange) == before


async def test_budget_never_below_what_was_paid(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = (await started_project(client, session, app, pw))["proposal_id"]
    url = f"{API}/projects/{pid}/budget-changes"
    ok(
        await client.post(
            f"{API}/projects/{pid}/expenditures",
            headers=h,
            json={
                "budget_line": 1,
                "payee": "照明公司",
                "amount_fen": 960_000,
                "invoice_no": "INV1",
                "spent_on": "2025-06-10",
            },
        ),
        201,
    )
    problem(
        await client.post(url, headers=h, json={"budget_fen": 950_000, "reason": "减少"}), 422, "budget_change_invalid"
    )
    problem(await client.post(url, headers=h, json={"reason": "什么也不改"}), 422, "budget_change_empty")
    problem(
        await client.post(url, headers=pw.h["resident"], json={"budget_fen": 990_000, "reason": "居民"}),
        403,
        "role_forbidden",
    )
    assert await count(session, BudgetChange) == 0


async def test_a_change_still_waiting_lapses_when_acceptance_passes(client, session, app, pw):
    h = pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)
    pid = project["proposal_id"]
    change = ok(
        await client.post(
            f"{API}/projects/{pid}/budget-changes", headers=h, json={"budget_fen": 1_300_000, "reason": "增加一栋楼"}
        ),
        201,
    )
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    # Rectification is not the end: the change still waits.
    ok(
        await client.post(
            f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance(survey={"respondents": 50, "satisfied": 20})
        ),
        201,
    )
    [waiting] = ok(await client.get(f"{API}/projects/{pid}/budget-changes", headers=h))
    assert waiting["state"] == "awaiting_meeting"
    motion = await meeting_decides(client, h, pw.tree.community_a1.id, pid, n_for=3)  # decided, not yet applied

    ok(
        await client.post(
            f"{API}/projects/{pid}/acceptances",
            headers=h,
            json=acceptance(held_on="2025-09-20", rectification_report="居民反映的问题已全部整改到位，灯具运行正常。"),
        ),
        201,
    )
    [lapsed] = ok(await client.get(f"{API}/public/projects/{pid}/budget-changes"))
    assert lapsed["state"] == "lapsed" and lapsed["decided_at"] is not None
    assert "2025-09-20 验收通过" in lapsed["lapsed_reason"]
    assert await audit_count(session, "budget_change.lapse") == 1
    problem(
        await client.post(f"{API}/budget-changes/{change['id']}/decision", headers=h, json={"motion_id": motion["id"]}),
        409,
        "budget_change_decided",
    )
    assert await committed(session, pid) == 1_000_000
    assert "已失效" in (await client.get(f"/board/projects/{pid}")).text
