"""Disbursements: instalments set by the programme, paid in order behind their gates, never past the commitment."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from app.funds.models import LedgerEntry, ProjectBalance
from app.implementation import rules
from app.implementation.payment_models import Disbursement
from app.programmes.ruleset import DisbursementPlan
from tests.factories import make_tree
from tests.implementation.helpers import acceptance, instalment, milestones_done, started_project
from tests.implementation.test_budget_changes import meeting_decides
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count, make_pworld

SERVICES_LIKE = [{"share_pct": 50, "gate": "agreement"}, {"share_pct": 50, "gate": "completion"}]
WORKS_LIKE = [{"share_pct": 95, "gate": "progress"}, {"share_pct": 5, "gate": "acceptance"}]


@pytest.fixture
async def pw(client, session, app, request):
    """The test proposals are goods; the programme gives goods the plan under test."""
    plan = getattr(request, "param", SERVICES_LIKE)
    return await make_pworld(
        client, session, app, await make_tree(session), rules={"implementation": {"instalments": {"goods": plan}}}
    )


def test_default_plans_follow_practice():
    plans = DisbursementPlan()
    assert [(s.share_pct, s.gate) for s in plans.services] == [(50, "agreement"), (50, "completion")]
    assert [(s.share_pct, s.gate) for s in plans.goods] == [(100, "acceptance")]
    assert [(s.share_pct, s.gate) for s in plans.works] == [(95, "progress"), (5, "acceptance")]
    assert rules.amounts(1_000_001, [50, 50]) == [500_000, 500_001]
    assert rules.amounts(999_999, [95, 5]) == [949_999, 50_000]
    with pytest.raises(ValueError, match="add up to 100"):
        DisbursementPlan(works=[{"share_pct": 90, "gate": "progress"}])


async def test_instalments_pay_in_order_behind_their_gates(client, session, app, pw):
    fin, h = pw.h["finance"], pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)
    pid = project["proposal_id"]
    url = f"{API}/projects/{pid}/disbursements"
    plan = ok(await client.get(url, headers=fin))
    assert [(i["amount_fen"], i["payable_fen"], i["refusal"]) for i in plan["instalments"]] == [
        (500_000, 500_000, None),
        (500_000, 0, "instalment_out_of_order"),
    ]

    before = (await count(session, Disbursement), await count(session, LedgerEntry))
    problem(await client.post(url, headers=h, json=instalment(1)), 403, "role_forbidden")
    problem(await client.post(url, headers=fin, json=instalment(2)), 409, "instalment_out_of_order")
    assert (
        problem(await client.post(url, headers=fin, json=instalment(1, amount_fen=500_001)), 409, "over_instalment")[
            "payable_fen"
        ]
        == 500_000
    )
    problem(await client.post(url, headers=fin, json=instalment(3)), 422, "instalment_unknown")
    problem(await client.post(url, headers=fin, json=instalment(1, paid_on="2025-05-01")), 422, "paid_on_invalid")
    problem(
        await client.post(
            f"{API}/funds/projects/{pid}/disbursements",
            headers=fin,
            json={"amount_fen": 100, "entry_date": "2025-09-01"},
        ),
        409,
        "project_under_implementation",
    )
    assert (await count(session, Disbursement), await count(session, LedgerEntry)) == before

    first = ok(await client.post(url, headers=fin, json=instalment(1)), 201)
    assert first["amount_fen"] == 500_000
    problem(await client.post(url, headers=fin, json=instalment(1)), 409, "instalment_paid")
    problem(await client.post(url, headers=fin, json=instalment(2)), 409, "gate_not_met")

    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    key = {"Idempotency-Key": "pay-2-once"}
    second = ok(await client.post(url, headers={**fin, **key}, json=instalment(2)), 201)
    again = ok(await client.post(url, headers={**fin, **key}, json=instalment(2)), 201)
    assert again["id"] == second["id"]
    balance = await session.get(ProjectBalance, uuid.UUID(pid))
    assert balance.disbursed_fen == 1_000_000
    public = ok(await client.get(f"{API}/public/projects/{pid}/disbursements"))
    assert (public["disbursed_fen"], [d["instalment"] for d in public["disbursements"]]) == (1_000_000, [1, 2])


@pytest.mark.parametrize("pw", [WORKS_LIKE], indirect=True)
async def test_works_pay_by_progress_and_keep_a_retention(client, session, app, pw):
    fin, h = pw.h["finance"], pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)
    pid = project["proposal_id"]
    url = f"{API}/projects/{pid}/disbursements"
    problem(await client.post(url, headers=fin, json=instalment(1)), 409, "progress_not_reached")
    await milestones_done(client, h, project, "2025-07-01")
    assert ok(await client.post(url, headers=fin, json=instalment(1)), 201)["amount_fen"] == 475_000
    problem(await client.post(url, headers=fin, json=instalment(1)), 409, "progress_not_reached")
    ok(
        await client.post(
            f"{API}/milestones/{project['milestones'][1]['id']}/done", headers=h, json={"done_on": "2025-08-01"}
        )
    )
    ok(await client.post(url, headers=fin, json=instalment(1, amount_fen=200_000)), 201)
    ok(await client.post(url, headers=fin, json=instalment(1)), 201)
    problem(await client.post(url, headers=fin, json=instalment(2)), 409, "gate_not_met")
    ok(await client.post(f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance()), 201)
    retention = ok(await client.post(url, headers=fin, json=instalment(2)), 201)
    assert retention["amount_fen"] == 50_000
    paid = await session.scalar(select(func.sum(Disbursement.amount_fen)))
    assert paid == 1_000_000


@pytest.mark.postgres_only
async def test_concurrent_payments_never_pass_the_instalment(client, session, app, pw):
    project = await started_project(client, session, app, pw)
    url = f"{API}/projects/{project['proposal_id']}/disbursements"
    responses = await asyncio.gather(
        *(client.post(url, headers=pw.h["finance"], json=instalment(1, amount_fen=200_000)) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 4
    assert await session.scalar(select(func.sum(Disbursement.amount_fen))) == 400_000
    assert await session.scalar(select(ProjectBalance.disbursed_fen)) == 400_000


async def test_instalments_follow_every_budget_change(client, session, app, pw):
    fin, h = pw.h["finance"], pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)
    pid = project["proposal_id"]
    url, changes = f"{API}/projects/{pid}/disbursements", f"{API}/projects/{pid}/budget-changes"
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    ok(await client.post(url, headers=fin, json=instalment(1)), 201)  # 5,000 of 10,000

    def plan(schedule):
        return [(i["amount_fen"], i["paid_fen"], i["overpaid_fen"], i["payable_fen"]) for i in schedule["instalments"]]

    # A small cut (5%): each half is now 4,750; the first was paid 250 above it, so the second pays 4,500.
    ok(
        await client.post(
            changes, headers=h, json={"budget_fen": 950_000, "reason": "招标价格下降", "entry_date": "2025-09-05"}
        ),
        201,
    )
    schedule = ok(await client.get(url, headers=fin))
    assert plan(schedule) == [(475_000, 500_000, 25_000, 0), (475_000, 0, 0, 450_000)]
    assert (schedule["committed_fen"], schedule["unspent_fen"]) == (950_000, 450_000)
    refused = problem(
        await client.post(url, headers=fin, json=instalment(2, amount_fen=475_000)), 409, "over_commitment"
    )
    # What THIS project has left (9,500 committed − 5,000 paid), never the pilot's uncommitted money.
    assert (refused["unspent_fen"], refused["committed_fen"], refused["disbursed_fen"]) == (450_000, 950_000, 500_000)
    assert "尚余 4,500.00 元" in refused["detail"] and "available_fen" not in refused

    # A large rise the meeting approved: each half is 6,000; the first may pay 1,000 more, the second waits for it.
    rise = ok(await client.post(changes, headers=h, json={"budget_fen": 1_200_000, "reason": "增加两个楼道"}), 201)
    motion = await meeting_decides(client, h, pw.tree.community_a1.id, pid, n_for=3)
    ok(
        await client.post(
            f"{API}/budget-changes/{rise['id']}/decision",
            headers=h,
            json={"motion_id": motion["id"], "entry_date": "2025-09-10"},
        )
    )
    schedule = ok(await client.get(url, headers=fin))
    assert plan(schedule) == [(600_000, 500_000, 0, 100_000), (600_000, 0, 0, 0)]
    assert schedule["instalments"][1]["refusal"] == "instalment_out_of_order"
    ok(await client.post(url, headers=fin, json=instalment(1)), 201)

    # A large cut the meeting approved: each half is 4,000; the first is 2,000 over, so the second pays 2,000.
    cut = ok(await client.post(changes, headers=h, json={"budget_fen": 800_000, "reason": "部分楼道由物业改造"}), 201)
    motion = await meeting_decides(client, h, pw.tree.community_a1.id, pid, n_for=3)
    ok(
        await client.post(
            f"{API}/budget-changes/{cut['id']}/decision",
            headers=h,
            json={"motion_id": motion["id"], "entry_date": "2025-09-20"},
        )
    )
    schedule = ok(await client.get(url, headers=fin))
    assert plan(schedule) == [(400_000, 600_000, 200_000, 0), (400_000, 0, 0, 200_000)]
    assert ok(await client.post(url, headers=fin, json=instalment(2)), 201)["amount_fen"] == 200_000
    schedule = ok(await client.get(url, headers=fin))
    assert (schedule["disbursed_fen"], schedule["committed_fen"], schedule["unspent_fen"]) == (800_000, 800_000, 0)
    # Gross: 10,000 + the 2,500 rise; returned: the cuts of 500 and 4,000.
    assert (schedule["committed_gross_fen"], schedule["returned_fen"]) == (1_250_000, 450_000)
