"""Rounds reserve their money: open rounds hold their budget, closed ones their winners until confirmed."""

from app.funds.models import LedgerEntry
from app.voting.models import VotingRound
from tests.implementation.helpers import started_project
from tests.notices.helpers import item_numbered, object_to, shift
from tests.programmes.helpers import API, balance, funds_in, ok, problem
from tests.proposals.helpers import audit_count, count
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PLANNED = 3_000_000  # the pilot's district subsidy: planned 30,000 元, not received yet


async def reserved(client, pw) -> tuple[int, int, int]:
    """(uncommitted, reserved by rounds, unreserved) of pilot a1, as the balance shows them."""
    bal = await balance(client, pw.h["district"], pw.world.pilot_a1["id"])
    assert bal["reserved_by_rounds_fen"] == sum(r["held_fen"] for r in bal["reserved_by_rounds"])
    return bal["uncommitted_fen"], bal["reserved_by_rounds_fen"], bal["unreserved_fen"]


async def test_open_rounds_together_never_promise_more_than_the_pilot_has(client, session, pw):
    h, pilot = pw.h["staff_a1"], pw.world.pilot_a1["id"]
    first, second, third = [await shortlist(client, pw, [500_000]) for _ in range(3)]
    a = ok(await create_round(client, h, pilot, first, title="第一轮", budget_fen=2_000_000), 201)
    assert await reserved(client, pw) == (PLANNED, 2_000_000, 1_000_000)

    body = problem(
        await create_round(client, h, pilot, second, budget_fen=1_500_000), 409, "budget_reserved_by_other_rounds"
    )
    assert (body["available_fen"], body["uncommitted_fen"], body["reserved_by_other_rounds_fen"]) == (
        1_000_000,
        PLANNED,
        2_000_000,
    )
    assert body["other_rounds"] == [
        {"round_id": a["id"], "title": "第一轮", "status": "scheduled", "held_fen": 2_000_000}
    ]
    assert "10,000.00 元" in body["detail"] and "20,000.00 元" in body["detail"] and "第一轮" in body["detail"]
    assert await count(session, VotingRound) == 1
    assert ok(await client.get(f"{API}/proposals/{second[0]['id']}", headers=h))["state"] == "shortlisted"

    # The default budget is what is left once the other rounds are set aside.
    b = ok(await create_round(client, h, pilot, second, title="第二轮"), 201)
    assert b["budget_fen"] == 1_000_000
    assert await reserved(client, pw) == (PLANNED, PLANNED, 0)
    problem(await create_round(client, h, pilot, third), 409, "no_funds")
    problem(await create_round(client, h, pilot, third, budget_fen=1), 409, "budget_reserved_by_other_rounds")

    # Raising a budget is checked the same way, against the other rounds only; lowering always goes through.
    problem(
        await client.patch(f"{API}/voting/rounds/{a['id']}", headers=h, json={"budget_fen": 2_000_001}),
        409,
        "budget_reserved_by_other_rounds",
    )
    assert (
        ok(await client.patch(f"{API}/voting/rounds/{a['id']}", headers=h, json={"budget_fen": 1_500_000}))[
            "budget_fen"
        ]
        == 1_500_000
    )
    assert (
        ok(await client.patch(f"{API}/voting/rounds/{a['id']}", headers=h, json={"budget_fen": 2_000_000}))[
            "budget_fen"
        ]
        == 2_000_000
    )
    assert await reserved(client, pw) == (PLANNED, PLANNED, 0)

    # Cancelling releases the round's reservation.
    ok(await client.post(f"{API}/voting/rounds/{b['id']}/cancel", headers=h, json={"reason": "与第一轮合并"}))
    assert await reserved(client, pw) == (PLANNED, 2_000_000, 1_000_000)
    c = ok(await create_round(client, h, pilot, third), 201)
    assert c["budget_fen"] == 1_000_000
    assert await audit_count(session, "voting_round.create") == 3


PHONES = [f"1390000{i:04d}" for i in range(1, 5)]
# 10,000 / 15,000 / 14,000 元; 1 and 2 get 3 votes each, 3 gets 1: greedy under 30,000 selects 1 and 2
# (25,000) and 3 does not fit in the 5,000 left.
COSTS = [1_000_000, 1_500_000, 1_400_000]
BALLOTS = [[1, 2], [1, 2], [1, 3], [2]]


async def test_closed_round_holds_its_winners_until_confirmed(client, session, app, pw):
    h, pilot = pw.h["staff_a1"], pw.world.pilot_a1["id"]
    proposals = await shortlist(client, pw, COSTS)
    ok(
        await import_roll(
            client, h, pw.tree.community_a1.id, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])
        )
    )
    rnd = ok(await create_round(client, h, pilot, proposals, title="春季投票"), 201)
    for phone, ballot in zip(PHONES, BALLOTS, strict=True):
        ok(await cast(client, await resident(session, app, pw.tree.community_a1, phone), rnd["id"], ballot), 201)
    assert await reserved(client, pw) == (PLANNED, PLANNED, 0)
    await end_window(session, rnd["id"])
    closed = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))
    assert [p["selected"] for p in closed["projects"]] == [True, True, False]

    # Closing released the 5,000 元 the round did not allocate; it still holds its two winners.
    assert await reserved(client, pw) == (PLANNED, 2_500_000, 500_000)
    later = await shortlist(client, pw, [400_000])
    body = problem(
        await create_round(client, h, pilot, later, budget_fen=500_001), 409, "budget_reserved_by_other_rounds"
    )
    assert body["other_rounds"] == [
        {"round_id": rnd["id"], "title": "春季投票", "status": "closed", "held_fen": 2_500_000}
    ]
    autumn = ok(await create_round(client, h, pilot, later, title="秋季投票"), 201)
    assert autumn["budget_fen"] == 500_000

    # An upheld objection frees project 1's 10,000 元 for the round's next project; project 3 costs 14,000 and
    # the 5,000 released at close now belongs to the autumn round, so it is not reached.
    notice = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=h, json={}), 201)
    filed = ok(await object_to(client, notice["id"], item_numbered(notice, 1)["id"]), 201)
    after = ok(
        await client.post(
            f"{API}/objections/{filed['id']}/decision",
            headers=h,
            json={
                "outcome": "upheld",
                "reply": "经调查属实，取消该项目资助。",
                "ground": "finding",
                "action": "remove",
            },
        )
    )
    [move] = after["reallocations"]
    assert move["newly_selected"] == [] and move["explanation"]["money_left_fen"] == 1_000_000
    assert [s["code"] for s in move["explanation"]["steps"]] == ["not_enough_money"]
    assert ok(await client.get(f"{API}/proposals/{proposals[2]['id']}", headers=h))["state"] == "not_selected"
    assert await reserved(client, pw) == (PLANNED, 2_000_000, 1_000_000)

    # Confirmation commits project 2 at a lower budget: the hold becomes a commitment and the rest is released.
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], PLANNED), 201)
    ok(
        await client.post(
            f"{API}/notice-items/{item_numbered(notice, 2)['id']}/confirmation",
            headers=h,
            json={"budget_fen": 1_400_000, "entry_date": "2025-06-01"},
        ),
        201,
    )
    bal = await balance(client, pw.h["district"], pilot)
    assert bal["committed_fen"] == 1_400_000
    assert bal["reserved_by_rounds"] == [
        {"round_id": autumn["id"], "title": "秋季投票", "status": "scheduled", "held_fen": 500_000}
    ]
    assert await reserved(client, pw) == (1_600_000, 500_000, 1_100_000)
    raised = ok(await client.patch(f"{API}/voting/rounds/{autumn['id']}", headers=h, json={"budget_fen": 1_600_000}))
    assert raised["budget_fen"] == 1_600_000


async def test_money_a_round_holds_is_not_taken_by_a_direct_commitment(client, session, pw):
    h, pilot = pw.h["staff_a1"], pw.world.pilot_a1["id"]
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], PLANNED), 201)
    proposals = await shortlist(client, pw, [500_000])
    ok(await create_round(client, h, pilot, proposals, budget_fen=2_000_000), 201)
    direct = {
        "project_id": "6f0c1c44-8f4e-4d55-9a41-3b1f2c0d9e71",
        "project_title": "防汛应急加固",
        "category": "safety",
        "project_type": "works",
        "entry_date": "2025-04-01",
        "decision_document_ref": "福民〔2025〕12号",
    }
    entries = await count(session, LedgerEntry)
    body = problem(
        await client.post(
            f"{API}/pilots/{pilot}/commitments", headers=pw.h["district"], json={**direct, "amount_fen": 1_000_001}
        ),
        409,
        "budget_reserved_by_rounds",
    )
    assert (body["reserved_by_rounds_fen"], body["unreserved_fen"]) == (2_000_000, 1_000_000)
    assert "20,000.00 元" in body["detail"] and "10,000.00 元" in body["detail"]
    assert await count(session, LedgerEntry) == entries
    ok(
        await client.post(
            f"{API}/pilots/{pilot}/commitments", headers=pw.h["district"], json={**direct, "amount_fen": 1_000_000}
        ),
        201,
    )
    assert await reserved(client, pw) == (2_000_000, 2_000_000, 0)


async def test_money_a_round_holds_is_not_taken_by_a_budget_rise(client, session, app, pw):
    h = pw.h["staff_a1"]
    project = await started_project(client, session, app, pw)  # 10,000 元 committed of 30,000 received
    rest = await shortlist(client, pw, [500_000], titles=["社区微花园"])
    unreserved = (await reserved(client, pw))[2]  # what neither the ledger nor the first round's winners hold
    ok(await create_round(client, h, pw.world.pilot_a1["id"], rest, title="第二轮", budget_fen=unreserved), 201)
    url = f"{API}/projects/{project['proposal_id']}/budget-changes"
    body = problem(
        await client.post(
            url, headers=h, json={"budget_fen": 1_050_000, "reason": "增加灯具", "entry_date": "2025-06-20"}
        ),
        409,
        "budget_reserved_by_rounds",
    )
    assert body["asked_fen"] == 50_000 and "追加预算" in body["detail"]
    view = ok(await client.get(f"{API}/projects/{project['proposal_id']}/implementation", headers=h))
    assert view["budget_fen"] == 1_000_000
