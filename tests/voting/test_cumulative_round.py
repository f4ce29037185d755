"""A live round with cumulative ballots (each resident gives up to N points, at most M to one project), end to end:
cast, change, paper, refusals, the count by points, the .pb export and its recount."""

from app.analytics.official import official
from app.analytics.pabulib import parse, to_election
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

COSTS = [1_000_000, 800_000, 700_000, 600_000]
RULE = {"ballot": {"ballot_type": "cumulative", "points_total": 5, "max_points_per_project": 3}}
PHONES = ["13800000001", "13800000002", "13800000003"]


def problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_a_cumulative_round_counts_points(client, session, app, tree):
    from tests.proposals.helpers import make_pworld

    pw = await make_pworld(client, session, app, tree, rules=RULE)
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([(p, "居民", "", "") for p in PHONES])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, budget_fen=1_800_000), 201)
    a, b = [await resident(session, app, pw.tree.community_a1, p) for p in PHONES[:2]]
    problem(await cast(client, a, rnd["id"], [1, 1, 2, 2, 3, 3]), 422, "too_many_points")  # 6 > 5
    problem(await cast(client, a, rnd["id"], [1, 1, 1, 1]), 422, "too_many_points_per_project")  # 4 > 3
    problem(await cast(client, a, rnd["id"], [9]), 422, "unknown_project")
    problem(await cast(client, a, rnd["id"], []), 422, "too_few_choices")
    ok(await cast(client, a, rnd["id"], [4]), 201)
    # A change replaces the ballot; the points are kept as cast.
    assert ok(await cast(client, a, rnd["id"], [2, 4, 4, 4, 2]), 201)["choices"] == [2, 2, 4, 4, 4]
    ok(await cast(client, b, rnd["id"], [1, 1, 1, 2]), 201)
    roll = ok(await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h))["items"]
    entry = next(e["id"] for e in roll if e["phone_masked"].endswith(PHONES[2][-4:]))
    paper = f"{API}/voting/rounds/{rnd['id']}/paper-ballots"
    problem(
        await client.post(paper, headers=h, json={"roll_entry_id": entry, "choices": [3, 3, 3, 3]}),
        422,
        "too_many_points_per_project",
    )
    ok(await client.post(paper, headers=h, json={"roll_entry_id": entry, "choices": [1, 3, 3]}), 201)
    await end_window(session, rnd["id"])
    result = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))
    allocation = result["allocation"]
    # Points: 1 -> 3+1 = 4, 2 -> 2+1 = 3, 4 -> 3, 3 -> 2. Budget 18,000 yuan: 1 (10,000) first; 2 and 4 tie on
    # 3 points, 2 has more supporters (two against one), so 2 (8,000) goes next; 4 and 3 no longer fit.
    assert allocation["selected"] == ["1", "2"] and allocation["cost"] == 1_800_000
    assert allocation["rule"] == "greedy"
    why = {e["project_id"]: e for e in allocation["explanations"]}
    assert why["4"]["code"] == "not_enough_money"
    public = ok(await client.get(f"{API}/public/voting/rounds/{rnd['id']}/result"))
    assert {p["number"]: p["votes"] for p in public["projects"]} == {1: 4, 2: 3, 3: 2, 4: 3}
    assert allocation["fairness"]["others"] == [] and allocation["fairness"]["audit"]["excluded_voters"] == 0
    text = (await client.get(f"{API}/public/voting/rounds/{rnd['id']}/ballots.pb")).text
    pb = parse(text)
    assert pb.meta["vote_type"] == "cumulative" and pb.meta["max_sum_points"] == "5"
    assert sorted(sorted(p.items()) for p in pb.points()) == sorted(
        [[("2", 2), ("4", 3)], [("1", 3), ("2", 1)], [("1", 1), ("3", 2)]]
    )
    # Anyone's recount of the file, the city's way (greedy by points), gives the same winners.
    recount = official(pb, to_election(pb))
    assert list(recount.selected) == ["1", "2"]
    # The what-if on the stored round: the official rule counts the points; equal shares refuses them.
    what_if = f"{API}/allocation/what-if"
    again = ok(await client.post(what_if, headers=h, data={"round_id": rnd["id"], "rule": "official"}))
    assert again["selected"] == ["1", "2"]
    es = await client.post(what_if, headers=h, data={"round_id": rnd["id"], "rule": "equalshares"})
    problem(es, 422, "pb_ballots_unreadable")


async def test_equal_shares_cannot_be_chosen_for_points(client, tree, pw):
    from tests.programmes.helpers import YEAR

    for rule in ("equalshares", "mes", "mes-add1"):
        response = await client.post(
            f"{API}/programmes",
            headers=pw.h["district"],
            json={
                "district_id": str(tree.district.id),
                "year": YEAR,
                "name": "积分投票",
                "rules": {"ballot": {"ballot_type": "cumulative", "allocation_rule": rule}},
            },
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "cannot read cumulative ballots" in response.text
