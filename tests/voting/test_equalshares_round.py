"""A live round under equal shares as equalshares.net computes it: the programme's variant, frozen, explained."""

from app.analytics.pabulib import parse
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

COSTS = [1_000_000, 800_000, 700_000, 600_000, 500_000]
RULE = {"ballot": {"allocation_rule": "equalshares", "equal_shares": {"completion": "utilitarian"}}}


async def test_a_round_closed_with_an_equalshares_variant(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(client, session, app, tree, rules=RULE)
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    phones = ["13800000001", "13800000002", "13800000003"]
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([(p, "居民", "", "") for p in phones])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, budget_fen=2_000_000), 201)
    for phone, choices in zip(phones, [[1, 2], [1, 2], [5]], strict=True):
        ok(await cast(client, await resident(session, app, pw.tree.community_a1, phone), rnd["id"], choices), 201)
    await end_window(session, rnd["id"])
    result = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))
    allocation = result["allocation"]
    # Shares of 20,000/3 yuan: 2 and 1 tie on price per yuan (each split by its two voters); maxVotes ties
    # too, minCost funds 2 (8,000); 1 is then beyond its voters' 2 x 2,666.67 left; voter 3 buys 5 alone.
    # The utilitarian completion then goes by votes and adds 3 (0 votes, 7,000), which fits, as the tool does.
    assert allocation["selected"] == ["2", "5", "3"] and allocation["cost"] == 2_000_000
    assert allocation["rule"] == "equalshares(utilitarian,tie=maxVotes>minCost>[1,2,3,4,5])"
    assert allocation["variant"]["params"]["completion"] == "utilitarian"
    why = {e["project_id"]: e for e in allocation["explanations"]}
    assert why["2"]["code"] == "funded_equal_shares" and why["3"]["code"] == "funded_greedy"
    assert why["1"]["code"] == "not_enough_money"
    assert allocation["fairness"]["rule"] == "equalshares" and allocation["fairness"]["audit"]["excluded_voters"] == 0
    pb = parse((await client.get(f"{API}/public/voting/rounds/{rnd['id']}/ballots.pb")).text)
    assert pb.meta["rule"] == allocation["rule"]
    # The what-if runs other rules, with the audit, on the same counted ballots.
    other = await client.post(
        f"{API}/allocation/what-if", headers=h, data={"round_id": rnd["id"], "rule": "greedy", "audit": "true"}
    )
    assert other.status_code == 200, other.text
    body = other.json()
    assert body["selected"] == ["2", "1"] and body["meta"]["money_scale"] == 1  # tie at 2 votes: cheaper first
    assert body["audit"]["audit"]["excluded_voters"] == 1  # voter 3 chose only 5, which greedy leaves out
