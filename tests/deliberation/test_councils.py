"""Deliberation councils: open registration, invitations, quotas and a recorded, reproducible draw."""

import uuid

from app.deliberation.council_models import CouncilParticipant
from app.deliberation.selection import Candidate, Quota, select_participants
from tests.factories import add_user, bearer
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count

COUNCIL = {"topic": "老旧小区加装电梯议事会", "form": "council", "scheduled_at": "2099-05-01T19:00:00+08:00",
           "place": "彩田社区活动室", "host": "社工 王芳", "seats": 6}


async def residents(session, app, tree, n: int) -> list[dict[str, str]]:
    """Headers of n fresh residents of community a1."""
    from app.auth.models import Role

    out = []
    for i in range(n):
        user = await add_user(session, Role.resident, tree.community_a1, username=f"r{i}-{uuid.uuid4().hex[:6]}")
        out.append(await bearer(session, app, user))
    return out


async def test_register_invite_and_draw(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    council = ok(await client.post(f"{API}/communities/{a1}/councils", headers=h, json=COUNCIL), 201)
    cid = council["id"]
    assert council["state"] == "registering" and council["seed"] is None
    public = ok(await client.get(f"{API}/public/councils", params={"community_id": str(a1)}))
    assert public["items"][0]["topic"] == COUNCIL["topic"] and "seed" not in public["items"][0]

    people = await residents(session, app, pw.tree, 12)
    for i, hh in enumerate(people):
        ok(await client.post(f"{API}/councils/{cid}/registrations", headers=hh,
                             json={"group": "老年人" if i % 3 == 0 else None} if i % 3 == 0 else {}), 201)
    problem(await client.post(f"{API}/councils/{cid}/registrations", headers=people[0], json={}), 409,
            "already_registered")
    ok(await client.post(f"{API}/councils/{cid}/invitations", headers=h, json={"name": "物业经理 陈", "group": "物业"}),
       201)
    problem(await client.post(f"{API}/councils/{cid}/registrations", headers=h, json={}), 403, "role_forbidden")

    before = (await count(session, CouncilParticipant), await audit_count(session))
    r = await client.post(f"{API}/councils/{cid}/selection", headers=h, json={"quotas": [{"group": "老年人",
                                                                                           "seats": 6}]})
    problem(r, 422, "seats_exceeded")
    r = await client.post(f"{API}/councils/{cid}/selection", headers=h,
                          json={"quotas": [{"group": "老年人", "seats": 1}, {"group": "老年人", "seats": 1}]})
    problem(r, 422, "duplicate_quota")
    assert (await count(session, CouncilParticipant), await audit_count(session)) == before

    result = ok(await client.post(f"{API}/councils/{cid}/selection", headers=h,
                                  json={"quotas": [{"group": "老年人", "seats": 2}], "seed": 424242}))
    assert result["seed"] == "424242" and result["council"]["state"] == "selected"
    methods = [p["selected_by"] for p in result["selected"]]
    assert len(methods) == 6 and methods.count("invitation") == 1 and methods.count("quota") == 2
    # Anyone holding the candidate list and the seed gets the same participants.
    listed = ok(await client.get(f"{API}/councils/{cid}/participants", headers=h, params={"limit": 200}))["items"]
    again = select_participants([Candidate(p["id"], p["group"], p["source"] == "invitation") for p in listed], 6,
                                [Quota("老年人", 2)], 424242)
    assert set(again.chosen) == {p["id"] for p in result["selected"]}
    assert {p["id"] for p in listed if p["selected"]} == set(again.chosen)

    # Closed once drawn.
    problem(await client.post(f"{API}/councils/{cid}/selection", headers=h, json={}), 409, "council_selected")
    late = (await residents(session, app, pw.tree, 1))[0]
    problem(await client.post(f"{API}/councils/{cid}/registrations", headers=late, json={}), 409, "council_selected")


async def test_seed_is_generated_and_recorded_when_not_given(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    council = ok(await client.post(f"{API}/communities/{a1}/councils", headers=h, json=COUNCIL), 201)
    ok(await client.post(f"{API}/councils/{council['id']}/registrations", headers=pw.h["resident"], json={}), 201)
    result = ok(await client.post(f"{API}/councils/{council['id']}/selection", headers=h, json={}))
    assert result["seed"].isdigit() and len(result["selected"]) == 1
    assert ok(await client.get(f"{API}/councils/{council['id']}", headers=h))["seed"] == result["seed"]


async def test_council_in_the_past_is_refused(client, session, pw):
    r = await client.post(f"{API}/communities/{pw.tree.community_a1.id}/councils", headers=pw.h["staff_a1"],
                          json={**COUNCIL, "scheduled_at": "2001-01-01T09:00:00+08:00"})
    problem(r, 422, "council_in_past")
    r = await client.post(f"{API}/communities/{pw.tree.community_a1.id}/councils", headers=pw.h["staff_a1"],
                          json={**COUNCIL, "seats": 0})
    problem(r, 422, "validation_error")
