"""Rounds: only shortlisted proposals, budget within the pilot's funds, setup frozen once anyone voted, cancel."""

from datetime import timedelta

from app.voting.models import VotingRound
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count, submitted
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist, window


async def test_round_needs_shortlisted_proposals_of_the_pilot(client, session, pw):
    h = pw.h["staff_a1"]
    [p] = await shortlist(client, pw, [500_000])
    draft = await submitted(client, pw)
    body = problem(await create_round(client, h, pw.world.pilot_a1["id"], [p, draft]), 409, "proposal_not_shortlisted")
    assert body["proposals"] == [{"id": draft["id"], "state": "submitted"}]
    problem(await create_round(client, pw.h["staff_b1"], pw.world.pilot_b1["id"], [p]), 422, "proposal_not_in_pilot")
    problem(await create_round(client, pw.h["staff_b1"], pw.world.pilot_a1["id"], [p]), 404, "pilot_not_found")
    problem(
        await create_round(client, h, pw.world.pilot_a1["id"], [p], budget_fen=3_000_001), 409, "budget_exceeds_funds"
    )
    problem(
        await create_round(
            client, h, pw.world.pilot_a1["id"], [p], **window(opens_in=timedelta(days=-5), lasts=timedelta(days=1))
        ),
        422,
        "window_in_past",
    )
    problem(
        await create_round(client, h, pw.world.pilot_a1["id"], [p], incompatible_groups=[[p["id"]]]),
        422,
        "groups_invalid",
    )
    assert await count(session, VotingRound) == 0
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], [p], budget_fen=2_000_000), 201)
    assert rnd["budget_fen"] == 2_000_000 and rnd["ballot_rule"]["ballot_type"] == "approval"
    # The proposal is in a round now: it cannot be put in a second one.
    problem(await create_round(client, h, pw.world.pilot_a1["id"], [p]), 409, "proposal_not_shortlisted")


async def test_setup_frozen_once_anyone_voted_and_cancel_returns_the_shortlist(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [500_000, 600_000])
    ok(await import_roll(client, h, a1, roll_csv([("13800000001", "张三", "", "")])))
    # Half the pilot's money: the other half stays for the second round below.
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, budget_fen=1_500_000), 201)
    changed = ok(
        await client.patch(
            f"{API}/voting/rounds/{rnd['id']}",
            headers=h,
            json={"title": "改名", "incompatible_groups": [[proposals[0]["id"], proposals[1]["id"]]]},
        )
    )
    assert changed["title"] == "改名" and changed["incompatible_groups"] == [[1, 2]]
    ok(await cast(client, await resident(session, app, pw.tree.community_a1, "13800000001"), rnd["id"], [1]), 201)
    problem(
        await client.patch(f"{API}/voting/rounds/{rnd['id']}", headers=h, json={"budget_fen": 100}),
        409,
        "round_has_ballots",
    )
    problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/cancel", headers=h, json={"reason": "x"}),
        409,
        "round_has_ballots",
    )

    other = await shortlist(client, pw, [700_000])
    second = ok(await create_round(client, h, pw.world.pilot_a1["id"], other), 201)
    cancelled = ok(
        await client.post(f"{API}/voting/rounds/{second['id']}/cancel", headers=h, json={"reason": "时间冲突"})
    )
    assert cancelled["phase"] == "cancelled"
    assert ok(await client.get(f"{API}/proposals/{other[0]['id']}", headers=pw.h["resident"]))["state"] == "shortlisted"


async def test_rounds_are_read_in_region_and_public_without_counts(client, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000])
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    problem(await client.get(f"{API}/voting/rounds/{rnd['id']}", headers=pw.h["staff_b1"]), 404, "round_not_found")
    ok(await client.get(f"{API}/voting/rounds/{rnd['id']}", headers=pw.h["supervisor"]))
    problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["district"]), 403, "role_forbidden"
    )
    listed = ok(await client.get(f"{API}/voting/rounds", headers=pw.h["street_b"]))
    assert listed["total"] == 0
    public = ok(await client.get(f"{API}/public/voting/rounds", params={"community_id": str(pw.tree.community_a1.id)}))
    assert public["total"] == 1 and public["items"][0]["projects"][0]["votes"] is None
