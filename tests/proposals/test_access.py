"""Who sees which proposal: the proposer their own (drafts too), staff their region from submission on, the public
submitted ones without the proposer; everyone else 404."""

from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import create, submitted


async def test_draft_is_private_to_the_proposer(client, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    url = f"{API}/proposals/{p['id']}"
    assert ok(await client.get(url, headers=pw.h["resident"]))["state"] == "draft"
    for who in ("resident2", "staff_a1", "street_a", "district", "supervisor", "admin"):
        problem(await client.get(url, headers=pw.h[who]), 404, "proposal_not_found")
    problem(await client.get(f"{API}/public/proposals/{p['id']}"), 404, "proposal_not_found")
    assert ok(await client.get(f"{API}/public/proposals"))["total"] == 0
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["staff_a1"]))["total"] == 0
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["resident"]))["total"] == 1
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["resident2"]))["total"] == 0


async def test_submitted_is_seen_by_staff_of_its_region_only(client, pw):
    p = await submitted(client, pw)
    url = f"{API}/proposals/{p['id']}"
    for who in ("resident", "staff_a1", "street_a", "district", "supervisor", "finance", "evaluator", "admin"):
        assert ok(await client.get(url, headers=pw.h[who]))["id"] == p["id"], who
    for who in ("resident2", "resident_b1", "staff_b1", "staff_a2", "street_b", "other_district"):
        problem(await client.get(url, headers=pw.h[who]), 404, "proposal_not_found")
    for sub in ("screenings", "survey-notes", "attachments", "transitions"):
        problem(await client.get(f"{url}/{sub}", headers=pw.h["staff_b1"]), 404, "proposal_not_found")
        assert (await client.get(f"{url}/{sub}")).status_code == 401
    assert (await client.get(url)).status_code == 401
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["staff_b1"]))["total"] == 0
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["street_a"]))["total"] == 1
    assert ok(await client.get(f"{API}/proposals", headers=pw.h["other_district"]))["total"] == 0


async def test_writes_by_outsiders(client, pw):
    p = await submitted(client, pw)
    url = f"{API}/proposals/{p['id']}"
    problem(await client.patch(url, headers=pw.h["resident2"], json={"title": "x"}), 404, "proposal_not_found")
    problem(await client.patch(url, headers=pw.h["staff_a1"], json={"title": "x"}), 403, "not_proposer")
    problem(
        await client.post(f"{url}/transitions", headers=pw.h["resident2"], json={"to": "withdrawn"}),
        404,
        "proposal_not_found",
    )
    problem(await client.post(f"{url}/submit", headers=pw.h["staff_b1"]), 404, "proposal_not_found")


async def test_public_view_has_no_personal_data(client, pw):
    p = await submitted(client, pw, title="长者助餐点", category="life_care", project_type="services")
    listed = ok(await client.get(f"{API}/public/proposals", params={"community_id": str(pw.tree.community_a1.id)}))
    assert listed["total"] == 1
    [item] = listed["items"]
    assert item["title"] == "长者助餐点" and item["state"] == "submitted" and item["total_fen"] == 270_000
    one = ok(await client.get(f"{API}/public/proposals/{p['id']}"))
    assert one["need"] and len(one["budget_lines"]) == 2
    for data in (item, one):
        assert not {"proposer_user_id", "proposer_organisation_id", "state_reason"} & set(data)
    user = pw.users["resident"]
    r = await client.get(f"{API}/public/proposals/{p['id']}")
    assert str(user.id) not in r.text and user.username not in r.text
    assert ok(await client.get(f"{API}/public/proposals", params={"state": "draft"}))["total"] == 0
    assert (
        ok(await client.get(f"{API}/public/proposals", params={"community_id": str(pw.tree.community_b1.id)}))["total"]
        == 0
    )
