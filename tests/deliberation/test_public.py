"""Meeting announcements and results for the public (居务公开): no login, no individual votes, no roster names."""

from tests.deliberation.helpers import add_motion, add_roster, announce, close, decide, open_meeting, votes
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import in_deliberation


async def test_announcement_is_public_at_once(client, pw):
    m = await announce(client, pw.h["staff_a1"], pw.tree.community_a1.id)
    listed = ok(await client.get(f"{API}/public/meetings", params={"community_id": str(pw.tree.community_a1.id)}))
    [item] = listed["items"]
    for key in ("topic", "scheduled_at", "place", "host", "participants", "form"):
        assert item[key] == m[key], key
    assert item["state"] == "announced" and item["motions"] == []
    assert (
        ok(await client.get(f"{API}/public/meetings", params={"community_id": str(pw.tree.community_b1.id)}))["total"]
        == 0
    )
    problem(await client.get(f"{API}/public/meetings/{pw.tree.community_a1.id}"), 404, "meeting_not_found")


async def test_results_are_public_without_individual_votes(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30, prefix="王代表")
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps[:20])
    motion = await add_motion(client, h, m["id"], p["id"])
    await votes(client, h, motion["id"], reps[:20], n_for=16, n_against=4)
    ok(await decide(client, h, motion["id"]))
    ok(await close(client, h, m["id"]))
    r = await client.get(f"{API}/public/meetings/{m['id']}")
    one = ok(r)
    assert (one["state"], one["quorate"], one["attendance"], one["total_representatives"]) == ("closed", True, 20, 30)
    [item] = one["motions"]
    assert (item["outcome"], item["votes_for"], item["votes_against"]) == ("passed", 16, 4)
    assert "王代表" not in r.text and "representative_id" not in r.text and "signature" not in r.text
    assert ok(await client.get(f"{API}/public/proposals/{p['id']}"))["state"] == "shortlisted"
