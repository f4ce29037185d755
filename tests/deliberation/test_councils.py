"""Deliberation councils: open registration, invitations, quotas and a recorded, reproducible draw."""

import uuid

from app.deliberation.council_models import CouncilParticipant
from app.deliberation.selection import Candidate, Quota, select_participants
from app.regions.models import RegionLevel
from tests.factories import add_region
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count
from tests.voting.helpers import resident

COUNCIL = {
    "topic": "老旧小区加装电梯议事会",
    "form": "council",
    "scheduled_at": "2099-05-01T19:00:00+08:00",
    "place": "彩田社区活动室",
    "host": "社工 王芳",
    "seats": 6,
}


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def on_roll(client, pw, phone: str, community=None, unit=None) -> dict:
    """Staff put this phone on a community's roll (a1 unless named), optionally in a sub-unit."""
    community = community or pw.tree.community_a1
    staff = pw.h["staff_a1"] if community.id == pw.tree.community_a1.id else pw.h["staff_a2"]
    return ok(
        await client.post(
            f"{API}/communities/{community.id}/voter-roll",
            headers=staff,
            json={"phone": phone, "name": "居民", **({"unit_id": str(unit.id)} if unit else {})},
        ),
        201,
    )


async def residents(client, session, app, pw, n: int, unit=None) -> list[dict[str, str]]:
    """Headers of n fresh residents of community a1, each on its roll (公开报名 is for the community's residents)."""
    out = []
    for _ in range(n):
        phone = _phone()
        await on_roll(client, pw, phone, unit=unit)
        out.append((await resident(session, app, pw.tree.community_a1, phone)).h)
    return out


async def decide_group(client, h, council_id, participant_id, confirm: bool, reason: str | None = None):
    return await client.post(
        f"{API}/councils/{council_id}/participants/{participant_id}/group-decision",
        headers=h,
        json={"confirm": confirm, **({"reason": reason} if reason else {})},
    )


async def test_register_invite_and_draw(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    council = ok(await client.post(f"{API}/communities/{a1}/councils", headers=h, json=COUNCIL), 201)
    cid = council["id"]
    assert council["state"] == "registering" and council["seed"] is None
    public = ok(await client.get(f"{API}/public/councils", params={"community_id": str(a1)}))
    assert public["items"][0]["topic"] == COUNCIL["topic"] and "seed" not in public["items"][0]

    people = await residents(client, session, app, pw, 12)
    for i, hh in enumerate(people):
        p = ok(
            await client.post(
                f"{API}/councils/{cid}/registrations",
                headers=hh,
                json={"group": "老年人" if i % 3 == 0 else None} if i % 3 == 0 else {},
            ),
            201,
        )
        assert p["roll_entry_id"] is not None and p["group_basis"] == ("claimed" if i % 3 == 0 else None)
        if i % 3 == 0:  # the roll does not know who is elderly: staff confirm it before the draw
            assert ok(await decide_group(client, h, cid, p["id"], True))["group_basis"] == "staff"
    problem(
        await client.post(f"{API}/councils/{cid}/registrations", headers=people[0], json={}), 409, "already_registered"
    )
    ok(
        await client.post(
            f"{API}/councils/{cid}/invitations", headers=h, json={"name": "物业经理 陈", "group": "物业"}
        ),
        201,
    )
    problem(await client.post(f"{API}/councils/{cid}/registrations", headers=h, json={}), 403, "role_forbidden")

    before = (await count(session, CouncilParticipant), await audit_count(session))
    r = await client.post(
        f"{API}/councils/{cid}/selection", headers=h, json={"quotas": [{"group": "老年人", "seats": 6}]}
    )
    problem(r, 422, "seats_exceeded")
    r = await client.post(
        f"{API}/councils/{cid}/selection",
        headers=h,
        json={"quotas": [{"group": "老年人", "seats": 1}, {"group": "老年人", "seats": 1}]},
    )
    problem(r, 422, "duplicate_quota")
    assert (await count(session, CouncilParticipant), await audit_count(session)) == before

    result = ok(
        await client.post(
            f"{API}/councils/{cid}/selection",
            headers=h,
            json={"quotas": [{"group": "老年人", "seats": 2}], "seed": 424242},
        )
    )
    assert result["seed"] == "424242" and result["council"]["state"] == "selected"
    methods = [p["selected_by"] for p in result["selected"]]
    assert len(methods) == 6 and methods.count("invitation") == 1 and methods.count("quota") == 2
    # Anyone holding the candidate list and the seed gets the same participants.
    listed = ok(await client.get(f"{API}/councils/{cid}/participants", headers=h, params={"limit": 200}))["items"]
    again = select_participants(
        [Candidate(p["id"], p["group"], p["source"] == "invitation") for p in listed], 6, [Quota("老年人", 2)], 424242
    )
    assert set(again.chosen) == {p["id"] for p in result["selected"]}
    assert {p["id"] for p in listed if p["selected"]} == set(again.chosen)

    # Closed once drawn.
    problem(await client.post(f"{API}/councils/{cid}/selection", headers=h, json={}), 409, "council_selected")
    late = (await residents(client, session, app, pw, 1))[0]
    problem(await client.post(f"{API}/councils/{cid}/registrations", headers=late, json={}), 409, "council_selected")


async def test_seed_is_generated_and_recorded_when_not_given(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    council = ok(await client.post(f"{API}/communities/{a1}/councils", headers=h, json=COUNCIL), 201)
    person = (await residents(client, session, app, pw, 1))[0]
    ok(await client.post(f"{API}/councils/{council['id']}/registrations", headers=person, json={}), 201)
    result = ok(await client.post(f"{API}/councils/{council['id']}/selection", headers=h, json={}))
    assert result["seed"].isdigit() and len(result["selected"]) == 1
    assert ok(await client.get(f"{API}/councils/{council['id']}", headers=h))["seed"] == result["seed"]


async def test_council_in_the_past_is_refused(client, session, pw):
    r = await client.post(
        f"{API}/communities/{pw.tree.community_a1.id}/councils",
        headers=pw.h["staff_a1"],
        json={**COUNCIL, "scheduled_at": "2001-01-01T09:00:00+08:00"},
    )
    problem(r, 422, "council_in_past")
    r = await client.post(
        f"{API}/communities/{pw.tree.community_a1.id}/councils", headers=pw.h["staff_a1"], json={**COUNCIL, "seats": 0}
    )
    problem(r, 422, "validation_error")


async def test_only_residents_on_the_communitys_roll_register(client, session, app, pw):
    """Issue 24: anyone logged in could register for any community's council; now the roll decides."""
    h = pw.h["staff_a1"]
    cid = ok(await client.post(f"{API}/communities/{pw.tree.community_a1.id}/councils", headers=h, json=COUNCIL), 201)[
        "id"
    ]
    url = f"{API}/councils/{cid}/registrations"
    stranger = await resident(session, app, pw.tree.community_a1, _phone())
    elsewhere_phone = _phone()
    await on_roll(client, pw, elsewhere_phone, community=pw.tree.community_a2)
    elsewhere = await resident(session, app, pw.tree.community_a2, elsewhere_phone)
    removed_phone = _phone()
    entry = await on_roll(client, pw, removed_phone)
    ok(await client.post(f"{API}/voter-roll/{entry['id']}/removal", headers=h, json={"reason": "搬离本社区"}))
    removed = await resident(session, app, pw.tree.community_a1, removed_phone)
    before = (await count(session, CouncilParticipant), await audit_count(session))
    for caller in (stranger.h, elsewhere.h, removed.h, pw.h["resident"]):  # pw's resident has no phone at all
        body = problem(await client.post(url, headers=caller, json={}), 403, "not_on_roll")
        assert "居民名册" in body["detail"]
    assert (await count(session, CouncilParticipant), await audit_count(session)) == before

    member_phone = _phone()
    member_entry = await on_roll(client, pw, member_phone)
    member = await resident(session, app, pw.tree.community_a1, member_phone)
    registered = ok(await client.post(url, headers=member.h, json={}), 201)
    assert registered["roll_entry_id"] == member_entry["id"] and registered["source"] == "registration"
    # Staff may still invite someone who is not on the roll (主动邀请).
    ok(await client.post(f"{API}/councils/{cid}/invitations", headers=h, json={"name": "物业经理 陈"}), 201)


async def test_quota_groups_are_checked_against_the_roll_or_confirmed_by_staff(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1
    other_compound = await add_region(session, "景田小区", RegionLevel.compound, a1)
    cid = ok(await client.post(f"{API}/communities/{a1.id}/councils", headers=h, json={**COUNCIL, "seats": 3}), 201)[
        "id"
    ]
    url = f"{API}/councils/{cid}/registrations"
    in_compound = await residents(client, session, app, pw, 3, unit=pw.tree.compound_a1)
    # The roll places them in 彩田村小区: that group holds at once; claiming another compound of a1 is refused.
    own = ok(await client.post(url, headers=in_compound[0], json={"group": "彩田村小区"}), 201)
    assert own["group_basis"] == "roll"
    before = (await count(session, CouncilParticipant), await audit_count(session))
    body = problem(
        await client.post(url, headers=in_compound[1], json={"group": other_compound.name}), 422, "group_not_on_roll"
    )
    assert "景田小区" in body["detail"]
    assert (await count(session, CouncilParticipant), await audit_count(session)) == before
    # A group the roll does not know is a claim until staff decide.
    elder = ok(await client.post(url, headers=in_compound[1], json={"group": "老年人"}), 201)
    bogus = ok(await client.post(url, headers=in_compound[2], json={"group": "楼道长"}), 201)
    assert elder["group_basis"] == bogus["group_basis"] == "claimed"
    draw = {"quotas": [{"group": "老年人", "seats": 1}, {"group": "楼道长", "seats": 1}], "seed": 7}
    pending = problem(
        await client.post(f"{API}/councils/{cid}/selection", headers=h, json=draw), 409, "group_claims_pending"
    )
    assert sorted(pending["participant_ids"]) == sorted([elder["id"], bogus["id"]])

    before = (await count(session, CouncilParticipant), await audit_count(session))
    problem(await decide_group(client, h, cid, bogus["id"], False), 422, "reason_required")
    problem(await decide_group(client, in_compound[2], cid, bogus["id"], True), 403, "role_forbidden")
    problem(await decide_group(client, pw.h["staff_a2"], cid, bogus["id"], True), 404, "council_not_found")
    problem(await decide_group(client, h, cid, own["id"], True), 409, "group_not_claimed")
    problem(await decide_group(client, h, cid, uuid.uuid4(), True), 404, "participant_not_found")
    assert (await count(session, CouncilParticipant), await audit_count(session)) == before

    assert ok(await decide_group(client, h, cid, elder["id"], True))["group_basis"] == "staff"
    rejected = ok(await decide_group(client, h, cid, bogus["id"], False, "名单中无此楼道长"))
    assert rejected["group"] is None and rejected["group_basis"] is None
    assert await audit_count(session, "council.group_confirm") == 1
    assert await audit_count(session, "council.group_reject") == 1

    result = ok(await client.post(f"{API}/councils/{cid}/selection", headers=h, json=draw))
    by_id = {p["id"]: p["selected_by"] for p in result["selected"]}
    # The confirmed elder takes the 老年人 seat; nobody vouched-for is 楼道长, so that quota falls short.
    assert by_id[elder["id"]] == "quota" and result["shortfalls"] == {"楼道长": 1}
