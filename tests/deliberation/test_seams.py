"""Issue 23's deliberation seams: an agenda takes a proposal once per meeting (a failed one goes before a later
meeting), nothing is decided while representatives present have not voted unless the host confirms it with a
reason the minutes keep, and representatives of the same name are told apart by unit or phone."""

from app.deliberation.models import MinutesItem, Motion, MotionVote, Representative
from app.regions.models import RegionLevel
from tests.deliberation.helpers import add_motion, add_roster, close, decide, open_meeting, votes
from tests.deliberation.helpers import vote as cast
from tests.factories import add_region
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count, in_deliberation


async def proposal_state(client, pw, proposal_id) -> str:
    """The proposal's state as its proposer sees it."""
    return ok(await client.get(f"{API}/proposals/{proposal_id}", headers=pw.h["resident"]))["state"]


def table(client, h, meeting_id, proposal_id):
    """POST the proposal onto the meeting's agenda (the response, unchecked)."""
    return client.post(f"{API}/meetings/{meeting_id}/motions", headers=h, json={"proposal_id": proposal_id})


async def test_a_proposal_goes_on_an_agenda_once_and_a_failed_one_before_a_later_meeting(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 5)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], p["id"])
    before = (await count(session, Motion), await audit_count(session))
    body = problem(await table(client, h, m["id"], p["id"]), 409, "proposal_already_on_agenda")
    assert body["position"] == 1 and "已列入本次会议议程" in body["detail"]
    assert (await count(session, Motion), await audit_count(session)) == before
    # Decided (failed) but the meeting still sitting: the same meeting cannot take it again either (was a 500).
    await votes(client, h, motion["id"], reps, n_for=2, n_against=3)
    assert ok(await decide(client, h, motion["id"]))["outcome"] == "failed"
    before = (await count(session, Motion), await audit_count(session))
    problem(await table(client, h, m["id"], p["id"]), 409, "proposal_already_on_agenda")
    assert (await count(session, Motion), await audit_count(session)) == before
    ok(await close(client, h, m["id"]))
    assert await proposal_state(client, pw, p["id"]) == "rejected"

    # A later meeting may table it again: it comes back into deliberation, and this time it passes.
    later = await open_meeting(client, h, a1, reps, topic="再次审议")
    again = ok(await table(client, h, later["id"], p["id"]), 201)
    assert again["proposal_id"] == p["id"] and again["outcome"] is None
    assert await proposal_state(client, pw, p["id"]) == "in_deliberation"
    await votes(client, h, again["id"], reps, n_for=4, n_against=1)
    assert ok(await decide(client, h, again["id"]))["outcome"] == "passed"
    ok(await close(client, h, later["id"]))
    assert await proposal_state(client, pw, p["id"]) == "shortlisted"
    history = ok(await client.get(f"{API}/meetings/{m['id']}/motions", headers=h))["items"]
    assert [i["outcome"] for i in history] == ["failed"]  # the first meeting's record is untouched


async def test_deciding_with_votes_missing_needs_a_confirmed_reason_kept_in_the_minutes(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 5)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps[:4])  # 4 of 5 present: quorate
    motion = await add_motion(client, h, m["id"], p["id"])
    ok(await cast(client, h, motion["id"], reps[0], "against"), 201)
    before = (await count(session, MinutesItem), await audit_count(session))
    body = problem(await decide(client, h, motion["id"]), 409, "votes_missing")
    assert (body["attendance"], body["votes_cast"], body["votes_missing"]) == (4, 1, 3)
    assert "还有3名到会代表未表决" in body["detail"]
    problem(await decide(client, h, motion["id"], defer=True), 409, "votes_missing")
    problem(await decide(client, h, motion["id"], confirm_incomplete=True), 422, "incomplete_reason_required")
    assert (await count(session, MinutesItem), await audit_count(session)) == before
    assert ok(await client.get(f"{API}/meetings/{m['id']}/motions", headers=h))["items"][0]["outcome"] is None

    # Abstaining is a vote: one more abstains, two are still missing; the host goes ahead with a reason.
    ok(await cast(client, h, motion["id"], reps[1], "abstain"), 201)
    problem(await decide(client, h, motion["id"]), 409, "votes_missing")
    reason = "两名代表中途离场，经到会代表同意提前表决"
    d = ok(await decide(client, h, motion["id"], confirm_incomplete=True, incomplete_reason=reason))
    assert (d["outcome"], d["votes_against"], d["votes_abstain"], d["votes_missing"]) == ("failed", 1, 1, 2)
    assert d["incomplete_reason"] == reason
    minutes = ok(await client.get(f"{API}/meetings/{m['id']}/minutes", headers=h))
    [item] = minutes["items"]
    assert item["votes_missing"] == 2 and item["incomplete_reason"] == reason
    assert item["result"] == (
        f"赞成0票，反对1票，弃权1票（基数5），未通过；到会4人中2人未表决，经主持人确认提前表决，理由：{reason}"
    )
    assert await audit_count(session, "motion.decide") == 1


async def test_when_everyone_present_voted_or_abstained_no_confirmation_is_needed(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 4)
    m = await open_meeting(client, h, a1, reps[:3])
    motion = await add_motion(client, h, m["id"], title="修订居民公约")
    await votes(client, h, motion["id"], reps[:3], n_for=1)  # one for, two abstain
    d = ok(await decide(client, h, motion["id"]))
    assert (d["outcome"], d["votes_abstain"], d["votes_missing"], d["incomplete_reason"]) == ("failed", 2, 0, None)
    # A representative who signs in late and has not voted counts as missing on the next item.
    ok(await client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": reps[3]}), 201)
    other = await add_motion(client, h, m["id"], title="议题二")
    await votes(client, h, other["id"], reps[:3], n_for=3)
    assert problem(await decide(client, h, other["id"]), 409, "votes_missing")["votes_missing"] == 1
    ok(await cast(client, h, other["id"], reps[3], "abstain"), 201)
    assert ok(await decide(client, h, other["id"]))["outcome"] == "passed"


async def test_namesakes_are_told_apart_by_unit_or_phone_and_only_true_duplicates_are_refused(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    url = f"{API}/communities/{a1}/representatives"
    building = await add_region(session, "3栋", RegionLevel.building, pw.tree.compound_a1)
    compound = pw.tree.compound_a1
    by_unit = [
        ok(await client.post(url, headers=h, json={"name": "张伟", "unit_id": str(u.id)}), 201)
        for u in (compound, building)
    ]
    by_phone = [
        ok(await client.post(url, headers=h, json={"name": "张伟", "phone": phone}), 201)
        for phone in ("13800000001", "+86 138-0000-0002")
    ]
    bare = ok(await client.post(url, headers=h, json={"name": "张伟"}), 201)
    assert [r["label"] for r in (*by_unit, *by_phone, bare)] == [
        "张伟（彩田村小区）",
        "张伟（3栋）",
        "张伟（138****0001）",
        "张伟（138****0002）",
        "张伟",
    ]
    assert by_phone[0]["phone_masked"] == "138****0001" and by_unit[1]["unit_name"] == "3栋"
    assert "phone" not in by_phone[0] and "phone_digest" not in by_phone[0]

    before = (await count(session, Representative), await audit_count(session, "representative.add"))
    dup = problem(
        await client.post(url, headers=h, json={"name": "张伟", "unit_id": str(building.id)}),
        409,
        "representative_exists",
    )
    assert dup["label"] == "张伟（3栋）" and "张伟（3栋）" in dup["detail"]
    problem(
        await client.post(url, headers=h, json={"name": "张伟", "phone": "13800000001", "unit_id": str(building.id)}),
        409,
        "representative_exists",
    )
    problem(await client.post(url, headers=h, json={"name": "张伟"}), 409, "representative_exists")
    problem(await client.post(url, headers=h, json={"name": "张伟", "phone": "12345"}), 422, "validation_error")
    problem(await client.post(url, headers=h, json={"name": "张伟", "phone": "23800000001"}), 422, "phone_invalid")
    assert (await count(session, Representative), await audit_count(session, "representative.add")) == before
    # A namesake who left the roster does not block a new one with the same details.
    ok(await client.post(f"{API}/representatives/{bare['id']}/retire", headers=h, json={}))
    ok(await client.post(url, headers=h, json={"name": "张伟"}), 201)

    roster = ok(await client.get(url, headers=h))
    assert sorted(r["label"] for r in roster["items"]) == sorted(
        ["张伟（彩田村小区）", "张伟（3栋）", "张伟（138****0001）", "张伟（138****0002）", "张伟"]
    )
    # The sign-in sheet and the vote signature sheet name each one with what tells them apart.
    others = await add_roster(client, h, a1, 2)
    present = [by_unit[1]["id"], by_phone[0]["id"], by_unit[0]["id"], by_phone[1]["id"], *others]  # 6 of 7
    m = await open_meeting(client, h, a1, present)
    sheet = ok(await client.get(f"{API}/meetings/{m['id']}/sign-ins", headers=h))["items"]
    assert [s["representative_label"] for s in sheet[:2]] == ["张伟（3栋）", "张伟（138****0001）"]
    assert {s["representative_name"] for s in sheet[:2]} == {"张伟"}
    motion = await add_motion(client, h, m["id"], title="议题")
    signed = ok(await cast(client, h, motion["id"], by_phone[0]["id"], "for"), 201)
    assert signed["representative_label"] == "张伟（138****0001）"
    ok(await cast(client, h, motion["id"], by_unit[1]["id"], "against"), 201)
    sheet = ok(await client.get(f"{API}/motions/{motion['id']}/votes", headers=h))["items"]
    assert [(v["representative_label"], v["choice"]) for v in sheet] == [
        ("张伟（138****0001）", "for"),
        ("张伟（3栋）", "against"),
    ]
    assert await count(session, MotionVote) == 2
