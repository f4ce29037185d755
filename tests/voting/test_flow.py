"""A screening vote end to end: roll, round, online and paper ballots, close, explained result, receipts."""

from sqlalchemy import select

from app.analytics.allocation import allocate
from app.analytics.pabulib import parse, to_election
from app.audit.models import AuditEvent
from app.voting.models import Ballot, BallotHistory
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONES = [f"1380000{i:04d}" for i in range(1, 8)]


async def test_vote_close_and_recount(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    # Costs 12,000 / 10,000 / 9,000 / 5,000 yuan against the planned 30,000 yuan subsidy.
    proposals = await shortlist(client, pw, [1_200_000, 1_000_000, 900_000, 500_000])
    rows = [(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)]
    assert ok(await import_roll(client, h, a1, roll_csv(rows))) == {
        "encoding": "utf-8",
        "added": 7,
        "readded": 0,
        "unchanged": 0,
    }
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    assert rnd["budget_fen"] == 3_000_000 and rnd["phase"] == "open"
    assert [(p["number"], p["cost_fen"], p["votes"]) for p in rnd["projects"]] == [
        (1, 1_200_000, None),
        (2, 1_000_000, None),
        (3, 900_000, None),
        (4, 500_000, None),
    ]
    for p in proposals:
        assert ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))["state"] == "in_vote"

    voters = [await resident(session, app, pw.tree.community_a1, phone) for phone in PHONES[:6]]
    # After voter 6 changes and the paper ballot: 1 and 2 get 5 votes, 3 gets 4, 4 gets 3. Greedy funds 2 and 1
    # (22,000 yuan); 3 (9,000) no longer fits in the 8,000 left; 4 (5,000) does.
    ballots = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 4], [1, 4], [2]]
    receipts = [ok(await cast(client, v, rnd["id"], b), 201) for v, b in zip(voters, ballots, strict=True)]
    assert receipts[0]["version"] == 1 and len(receipts[0]["receipt_code"]) == 24
    # Voter 6 changes their mind; the first ballot goes to history.
    changed = ok(await cast(client, voters[5], rnd["id"], [2, 3]), 201)
    assert changed["version"] == 2 and changed["ballot_id"] == receipts[5]["ballot_id"]
    mine = ok(await client.get(f"{API}/voting/rounds/{rnd['id']}/my-ballot", headers=voters[5].h))
    assert mine["ballot"]["choices"] == [2, 3] and mine["earlier_versions"] == 1
    # Paper ballot for the seventh resident on the roll.
    roll = ok(await client.get(f"{API}/communities/{a1}/voter-roll", headers=h, params={"q": PHONES[6][-4:]}))
    [entry] = roll["items"]
    assert entry["phone_masked"] == "138****0007" and PHONES[6] not in str(roll)
    paper = ok(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/paper-ballots",
            headers=h,
            json={"roll_entry_id": entry["id"], "choices": [4], "sheet_ref": "纸质票 001"},
        ),
        201,
    )
    assert paper["channel"] == "paper"

    # While the round runs nobody sees a count: not staff, not the public, not the audit trail.
    staff_view = ok(await client.get(f"{API}/voting/rounds/{rnd['id']}", headers=pw.h["district"]))
    assert all(p["votes"] is None for p in staff_view["projects"]) and staff_view["ballots_counted"] is None
    problem(await client.get(f"{API}/voting/rounds/{rnd['id']}/result", headers=h), 409, "round_not_closed")
    problem(await client.get(f"{API}/public/voting/rounds/{rnd['id']}/result"), 409, "round_not_closed")
    problem(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h), 409, "round_still_open")
    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["ballot.cast", "ballot.change"])))
    ).all()
    assert len(events) == 8 and all("choices" not in str(e.after) for e in events)
    r = ok(await client.get(f"{API}/public/voting/receipts/{receipts[0]['receipt_code']}"))
    assert r["status"] == "recorded"

    await end_window(session, rnd["id"])
    problem(await cast(client, voters[0], rnd["id"], [1]), 409, "round_closed")
    result = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))
    assert result["ballots_counted"] == 7 and len(result["inputs_digest"]) == 64
    assert [(p["number"], p["votes"], p["selected"]) for p in result["projects"]] == [
        (1, 5, True),
        (2, 5, True),
        (3, 4, False),
        (4, 3, True),
    ]
    explained = {e["project_id"]: e for e in result["allocation"]["explanations"]}
    assert explained["3"]["code"] == "not_enough_money"
    assert "8,000.00 yuan remaining" in explained["3"]["reason_en"]
    assert "8,000.00 元" in explained["3"]["reason_zh"] and "分" not in explained["3"]["reason_zh"]
    # 1 and 2 tie at 5 votes: the default tie-break funds the cheaper one first.
    assert result["allocation"]["selected"] == ["2", "1", "4"] and result["allocation"]["cost"] == 2_700_000
    states = [ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))["state"] for p in proposals]
    assert states == ["selected", "selected", "not_selected", "selected"]
    # The fairness audit is stored with the result: everyone has a funded project; satisfaction is the
    # funded cost a voter approved: 3 x 2,200,000 + 2,700,000 + 1,700,000 + 1,000,000 + 500,000 over 7.
    fairness = result["allocation"]["fairness"]
    assert (fairness["rule"], fairness["audit"]["excluded_voters"]) == ("greedy", 0)
    assert fairness["audit"]["average_satisfaction"] == "12500000/7"
    assert fairness["audit"]["funded_approved_distribution"] == {"1": 2, "2": 4, "3": 1}
    assert [o["rule"] for o in fairness["others"]] == ["mes", "mes-add1"]
    public = ok(await client.get(f"{API}/public/voting/rounds/{rnd['id']}/result"))
    assert public["allocation"]["fairness"] == fairness
    problem(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h), 409, "round_closed")

    # Receipts: the first ballot counted; voter 6's first version superseded by their change.
    assert ok(await client.get(f"{API}/public/voting/receipts/{receipts[0]['receipt_code']}"))["status"] == "counted"
    assert ok(await client.get(f"{API}/public/voting/receipts/{receipts[5]['receipt_code']}"))["status"] == "superseded"
    # Anyone can recount from the published ballots.
    pb = await client.get(f"{API}/public/voting/rounds/{rnd['id']}/ballots.pb")
    assert pb.status_code == 200 and "receipt" not in pb.text and PHONES[0] not in pb.text
    election = to_election(parse(pb.text))
    recount = allocate(election.instance, election.ballots, "greedy")
    assert list(recount.selected) == result["allocation"]["selected"]
    assert await count(session, Ballot) == 7 and await count(session, BallotHistory) == 1
