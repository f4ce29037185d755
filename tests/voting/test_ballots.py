"""Ballots: who may vote, what a ballot may hold, paper against online, households, idempotent retries."""

from datetime import timedelta

from app.voting.models import Ballot, BallotHistory
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist, window

COSTS = [1_000_000, 800_000, 700_000, 600_000, 500_000]


async def _round(client, pw, rows, **over) -> dict:
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv(rows)))
    return ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, **over), 201)


async def test_bad_ballots_are_refused_and_change_nothing(client, session, app, pw):
    rnd = await _round(client, pw, [("13800000001", "张三", "", "")])
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    stranger = await resident(session, app, pw.tree.community_a1, "13800000099")
    problem(await cast(client, voter, rnd["id"], [1, 2, 3, 4]), 422, "too_many_choices")
    problem(await cast(client, voter, rnd["id"], []), 422, "too_few_choices")
    problem(await cast(client, voter, rnd["id"], [9]), 422, "unknown_project")
    problem(await cast(client, voter, rnd["id"], [1, 1]), 422, "duplicate_choice")
    problem(await cast(client, stranger, rnd["id"], [1]), 403, "not_on_roll")
    r = await client.post(f"{API}/voting/rounds/{rnd['id']}/ballots", headers=voter.h, json={"choices": [0]})
    assert r.status_code == 422
    problem(await cast(client, type(voter)("", "", pw.h["staff_a1"]), rnd["id"], [1]), 403, "role_forbidden")
    assert await count(session, Ballot) == 0


async def test_before_opening_is_refused(client, session, app, pw):
    rnd = await _round(client, pw, [("13800000001", "张三", "", "")], **window(opens_in=timedelta(hours=2)))
    assert rnd["phase"] == "upcoming"
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    problem(await cast(client, voter, rnd["id"], [1]), 409, "round_not_open")


async def test_knapsack_budget_and_minimum_spend(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(
        client, session, app, tree, rules={"ballot": {"ballot_type": "knapsack", "knapsack_min_spend_pct": 70}}
    )
    rnd = await _round(client, pw, [("13800000001", "张三", "", "")], budget_fen=2_000_000)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    problem(await cast(client, voter, rnd["id"], [1, 2, 3]), 422, "over_budget")  # 25,000 > 20,000
    problem(await cast(client, voter, rnd["id"], [5]), 422, "under_min_spend")  # 5,000 < 14,000
    assert ok(await cast(client, voter, rnd["id"], [1, 3]), 201)["choices"] == [1, 3]  # 17,000


async def test_paper_and_online_exclude_each_other(client, session, app, pw):
    rnd = await _round(client, pw, [("13800000001", "张三", "", ""), ("13800000002", "李四", "", "")])
    h = pw.h["staff_a1"]
    roll = ok(await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h))["items"]
    by_name = {e["name"]: e["id"] for e in roll}
    online = await resident(session, app, pw.tree.community_a1, "13800000001")
    paper_voter = await resident(session, app, pw.tree.community_a1, "13800000002")
    ok(await cast(client, online, rnd["id"], [1]), 201)

    def paper(name, choices):
        return client.post(
            f"{API}/voting/rounds/{rnd['id']}/paper-ballots",
            headers=h,
            json={"roll_entry_id": by_name[name], "choices": choices},
        )

    problem(await paper("张三", [2]), 409, "voted_online")
    ok(await paper("李四", [2]), 201)
    problem(await paper("李四", [3]), 409, "voted_on_paper")
    problem(await cast(client, paper_voter, rnd["id"], [3]), 409, "voted_on_paper")
    assert await count(session, Ballot) == 2 and await count(session, BallotHistory) == 0


async def test_one_ballot_per_household(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(client, session, app, tree, rules={"ballot": {"ballot_unit": "household"}})
    rnd = await _round(
        client,
        pw,
        [
            ("13800000001", "张三", "", "3栋501"),
            ("13800000002", "李四", "", "3栋 501"),
            ("13800000003", "王五", "", ""),
        ],
    )
    a, b, c = [await resident(session, app, pw.tree.community_a1, f"1380000000{i}") for i in (1, 2, 3)]
    ok(await cast(client, a, rnd["id"], [1]), 201)
    problem(await cast(client, b, rnd["id"], [2]), 409, "household_already_voted")
    ok(await cast(client, a, rnd["id"], [2]), 201)  # the one who voted may still change it
    ok(await cast(client, c, rnd["id"], [3]), 201)  # no household given: a household of one
    mine = ok(await client.get(f"{API}/voting/rounds/{rnd['id']}/my-ballot", headers=b.h))
    assert mine["ballot"] == {
        "cast_by_household_member": True,
        "channel": "online",
        "cast_at": mine["ballot"]["cast_at"],
    }


async def test_idempotent_retry_returns_the_first_receipt(client, session, app, pw):
    rnd = await _round(client, pw, [("13800000001", "张三", "", "")])
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    first = await cast(client, voter, rnd["id"], [1, 2], key="cast-0001")
    again = await cast(client, voter, rnd["id"], [1, 2], key="cast-0001")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await count(session, Ballot) == 1 and await count(session, BallotHistory) == 0
    problem(await cast(client, voter, rnd["id"], [3], key="cast-0001"), 422, "idempotency_key_reused")
