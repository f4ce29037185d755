"""A live round with ranked ballots (rank up to K projects; K points for the first, one less for each next, as
Kraków counts), end to end: cast, change, paper, refusals, the count by points, the .pb export and its recount."""

from app.analytics.official import official
from app.analytics.pabulib import parse, to_election
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist
from tests.voting.test_cumulative_round import problem

COSTS = [1_000_000, 800_000, 700_000, 600_000]
RULE = {"ballot": {"ballot_type": "ranked", "min_choices": 1, "max_choices": 3}}
PHONES = ["13800000001", "13800000002", "13800000003"]


async def test_a_ranked_round_counts_points_by_rank(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(client, session, app, tree, rules=RULE)
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([(p, "居民", "", "") for p in PHONES])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, budget_fen=1_800_000), 201)
    a, b = [await resident(session, app, pw.tree.community_a1, p) for p in PHONES[:2]]
    problem(await cast(client, a, rnd["id"], [1, 2, 1]), 422, "duplicate_rank")
    problem(await cast(client, a, rnd["id"], [1, 2, 3, 4]), 422, "too_many_choices")
    problem(await cast(client, a, rnd["id"], [7]), 422, "unknown_project")
    ok(await cast(client, a, rnd["id"], [2, 4]), 201)
    # A change replaces the ranking; the order is kept as cast, never sorted.
    assert ok(await cast(client, a, rnd["id"], [4, 2]), 201)["choices"] == [4, 2]
    ok(await cast(client, b, rnd["id"], [1, 2, 3]), 201)
    roll = ok(await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h))["items"]
    entry = next(e["id"] for e in roll if e["phone_masked"].endswith(PHONES[2][-4:]))
    paper = f"{API}/voting/rounds/{rnd['id']}/paper-ballots"
    problem(
        await client.post(paper, headers=h, json={"roll_entry_id": entry, "choices": [4, 4]}), 422, "duplicate_rank"
    )
    ok(await client.post(paper, headers=h, json={"roll_entry_id": entry, "choices": [1, 4]}), 201)
    await end_window(session, rnd["id"])
    allocation = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))["allocation"]
    # Points: 1 -> 3+3 = 6, 4 -> 3+2 = 5, 2 -> 2+2 = 4, 3 -> 1. Budget 18,000 yuan: 1 (10,000), 4 (6,000); 2
    # (8,000) no longer fits. Read as approvals (two voters each for 1, 2, 4) greedy would fund 4 and 2 instead.
    assert allocation["selected"] == ["1", "4"] and allocation["cost"] == 1_600_000
    public = ok(await client.get(f"{API}/public/voting/rounds/{rnd['id']}/result"))
    assert {p["number"]: p["votes"] for p in public["projects"]} == {1: 6, 2: 4, 3: 1, 4: 5}
    pb = parse((await client.get(f"{API}/public/voting/rounds/{rnd['id']}/ballots.pb")).text)
    assert pb.meta["vote_type"] == "ordinal" and pb.meta["max_length"] == "3"
    assert sorted(pb.ballots()) == sorted([("4", "2"), ("1", "2", "3"), ("1", "4")])
    assert list(official(pb, to_election(pb)).selected) == ["1", "4"]
    es = await client.post(f"{API}/allocation/what-if", headers=h, data={"round_id": rnd["id"], "rule": "equalshares"})
    problem(es, 422, "pb_ballots_unreadable")


async def test_a_ranked_round_refuses_incompatible_groups(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(client, session, app, tree, rules=RULE)
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS[:2])
    response = await create_round(
        client, h, pw.world.pilot_a1["id"], proposals, incompatible_groups=[[p["id"] for p in proposals]]
    )
    problem(response, 422, "groups_invalid")
