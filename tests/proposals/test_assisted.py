"""Assisted intake (issue 27): staff enter a proposal for a named resident or group, recording the channel and
the paper form; the resident claims it with their phone. Residents propose only where they live or are on the
roll."""

from sqlalchemy import func, select

from app.proposals.models import Proposal
from tests.auth.helpers import assert_problem
from tests.organisations.helpers import PDF, person
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import body

ENTER = f"{API}/assisted-proposals"


def entered(community_id, proposer: dict | None = None, **over) -> dict:
    """An assisted-intake body for proposer (default: a named resident with a phone)."""
    data = body(community_id, channel="paper_form", **over)
    data["proposer"] = proposer if proposer is not None else {"name": "钱先生", "phone": "13900000004"}
    return data


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Proposal))


async def test_staff_enter_and_the_resident_claims(client, session, app, pw):
    draft = ok(await client.post(ENTER, headers=pw.h["staff_a1"], json=entered(pw.tree.community_a1.id)), 201)
    assert (draft["intake_channel"], draft["proposer_name"], draft["proposer_kind"]) == (
        "paper_form",
        "钱先生",
        "resident",
    )
    assert draft["proposer_phone_masked"] != "13900000004" and draft["claimed_at"] is None
    # The paper form goes on as an attachment; the staff member sees the draft they hold.
    ok(
        await client.post(
            f"{API}/proposals/{draft['id']}/attachments",
            headers=pw.h["staff_a1"],
            files={"file": ("申请表.pdf", PDF, "application/pdf")},
        ),
        201,
    )
    listed = ok(await client.get(f"{API}/proposals", headers=pw.h["staff_a1"]))["items"]
    assert draft["id"] in [p["id"] for p in listed]
    _, qian = await person(session, app, pw.tree.community_a1, "13900000004")
    _, other = await person(session, app, pw.tree.community_a1, "13900000005")
    assert ok(await client.get(f"{API}/claimable-proposals", headers=other))["total"] == 0
    assert_problem(await client.post(f"{API}/proposals/{draft['id']}/claim", headers=other), 404)
    waiting = ok(await client.get(f"{API}/claimable-proposals", headers=qian))["items"]
    assert [p["id"] for p in waiting] == [draft["id"]]
    claimed = ok(await client.post(f"{API}/proposals/{draft['id']}/claim", headers=qian))
    assert claimed["claimed_at"] is not None
    assert_problem(
        await client.post(f"{API}/proposals/{draft['id']}/claim", headers=qian), 409, "proposal_already_claimed"
    )
    # From now on it is the resident's: staff no longer change it, the resident submits it.
    assert_problem(
        await client.patch(f"{API}/proposals/{draft['id']}", headers=pw.h["staff_a1"], json={"title": "改"}), 404
    )
    assert ok(await client.post(f"{API}/proposals/{draft['id']}/submit", headers=qian))["state"] == "submitted"
    files = ok(await client.get(f"{API}/proposals/{draft['id']}/attachments", headers=qian))
    assert files["total"] == 1


async def test_a_group_without_a_phone(client, pw):
    group = {"name": "3栋楼栋居民小组", "kind": "group"}
    draft = ok(
        await client.post(
            ENTER,
            headers=pw.h["staff_a1"],
            json={**entered(pw.tree.community_a1.id, group), "channel": "building_leader"},
        ),
        201,
    )
    assert (draft["proposer_kind"], draft["proposer_phone_masked"]) == ("group", None)
    ok(await client.post(f"{API}/proposals/{draft['id']}/submit", headers=pw.h["staff_a1"]))


async def test_refusals_change_nothing(client, session, pw):
    before = await _count(session)
    for proposer in ({}, {"name": ""}, {"name": "  "}):
        assert_problem(
            await client.post(ENTER, headers=pw.h["staff_a1"], json=entered(pw.tree.community_a1.id, proposer)),
            422,
            "validation_error",
        )
    no_proposer = entered(pw.tree.community_a1.id)
    del no_proposer["proposer"]
    assert_problem(await client.post(ENTER, headers=pw.h["staff_a1"], json=no_proposer), 422, "validation_error")
    assert_problem(
        await client.post(
            ENTER,
            headers=pw.h["staff_a1"],
            json=entered(pw.tree.community_a1.id, {"name": "钱", "phone": "12345678901"}),
        ),
        422,
        "invalid_phone",
    )
    assert_problem(
        await client.post(ENTER, headers=pw.h["staff_a2"], json=entered(pw.tree.community_a1.id)), 403, "out_of_region"
    )
    assert_problem(
        await client.post(ENTER, headers=pw.h["resident"], json=entered(pw.tree.community_a1.id)), 403, "role_forbidden"
    )
    assert_problem(
        await client.post(ENTER, headers=pw.h["staff_a1"], json=entered(pw.tree.community_a1.id, kind="venture")),
        422,
        "venture_needs_organisation",
    )
    assert await _count(session) == before


async def test_residents_propose_where_they_live_or_are_on_the_roll(client, session, app, pw):
    before = await _count(session)
    r = await client.post(f"{API}/proposals", headers=pw.h["resident_b1"], json=body(pw.tree.community_a1.id))
    assert "居住" in assert_problem(r, 403, "not_resident_of_community")["detail"]
    # A resident with no home region on record: the roll decides.
    _, newcomer = await person(session, app, None, "13900000012")
    assert_problem(
        await client.post(f"{API}/proposals", headers=newcomer, json=body(pw.tree.community_a1.id)),
        403,
        "not_resident_of_community",
    )
    assert await _count(session) == before
    ok(
        await client.post(
            f"{API}/communities/{pw.tree.community_a1.id}/voter-roll",
            headers=pw.h["staff_a1"],
            json={"phone": "13900000012", "name": "新居民"},
        ),
        201,
    )
    ok(await client.post(f"{API}/proposals", headers=newcomer, json=body(pw.tree.community_a1.id)), 201)
    # Living in a compound of the community counts as living there.
    _, compound = await person(session, app, pw.tree.compound_a1, "13900000013")
    ok(await client.post(f"{API}/proposals", headers=compound, json=body(pw.tree.community_a1.id)), 201)
