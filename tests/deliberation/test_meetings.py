"""Representative meetings end to end, pinned at the issue's edges: 30 representatives, 20/19 present,
16/15 votes for under the default base, 11/10 under the 'present' base, and nothing decided when inquorate."""

from app.deliberation.models import MeetingMinutes, MeetingSignIn, MinutesItem, Motion, MotionVote
from tests.deliberation.helpers import add_motion, add_roster, close, decide, open_meeting, votes
from tests.deliberation.helpers import vote as cast
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count, in_deliberation


async def proposal_state(client, pw, proposal_id) -> str:
    """The proposal's state as its proposer sees it."""
    return ok(await client.get(f"{API}/proposals/{proposal_id}", headers=pw.h["resident"]))["state"]


async def test_default_base_16_of_30_passes_and_shortlists(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps[:20])
    assert ok(await client.get(f"{API}/meetings/{m['id']}/quorum", headers=h)) == {
        "total_representatives": 30,
        "attendance": 20,
        "needed": 20,
        "quorate": True,
    }
    motion = await add_motion(client, h, m["id"], p["id"])
    assert motion["title"] == p["title"] and motion["position"] == 1
    await votes(client, h, motion["id"], reps[:20], n_for=16, n_against=3)
    d = ok(await decide(client, h, motion["id"]))
    assert (d["outcome"], d["votes_for"], d["votes_against"], d["votes_abstain"]) == ("passed", 16, 3, 1)
    assert (d["attendance_at_decision"], d["total_at_decision"], d["majority_base_count"]) == (20, 30, 30)
    assert await proposal_state(client, pw, p["id"]) == "in_deliberation"  # moves only when the meeting closes
    closed = ok(await close(client, h, m["id"]))
    assert closed["state"] == "closed" and closed["quorate"] is True and closed["attendance"] == 20
    assert await proposal_state(client, pw, p["id"]) == "shortlisted"
    minutes = ok(await client.get(f"{API}/meetings/{m['id']}/minutes", headers=h))
    assert minutes["topic"] == m["topic"] and minutes["quorate"] is True and minutes["summary"] == "会议按程序进行。"
    [item] = minutes["items"]
    assert item["discussion"] == "代表们认为项目必要，预算合理。"
    assert item["result"] == "赞成16票，反对3票，弃权1票（基数30），通过"
    # The three records are separate: 20 sign-ins, 20 signatures, 1 minutes item.
    assert await count(session, MeetingSignIn) == 20 and await count(session, MotionVote) == 20
    assert await count(session, MinutesItem) == 1 and await count(session, MeetingMinutes) == 1


async def test_default_base_15_of_30_fails_even_with_everyone_present(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], p["id"])
    await votes(client, h, motion["id"], reps, n_for=15, n_against=15)
    d = ok(await decide(client, h, motion["id"]))
    assert d["outcome"] == "failed" and d["majority_base_count"] == 30
    ok(await close(client, h, m["id"]))
    assert await proposal_state(client, pw, p["id"]) == "rejected"


async def test_present_base_11_of_20_passes_10_fails_and_a_tie_may_be_deferred(client, pw_present):
    pw = pw_present
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    p1, p2, p3 = [await in_deliberation(client, pw, title=t) for t in ("健身路径", "垃圾分类亭", "儿童乐园")]
    m = await open_meeting(client, h, a1, reps[:20])
    assert m and ok(await client.get(f"{API}/meetings/{m['id']}", headers=h))["majority_base"] == "present"
    m1, m2, m3 = [await add_motion(client, h, m["id"], p["id"]) for p in (p1, p2, p3)]
    await votes(client, h, m1["id"], reps[:20], n_for=11, n_against=9)
    await votes(client, h, m2["id"], reps[:20], n_for=10, n_against=5)
    await votes(client, h, m3["id"], reps[:20], n_for=10, n_against=10)
    d1, d2 = ok(await decide(client, h, m1["id"])), ok(await decide(client, h, m2["id"]))
    assert (d1["outcome"], d1["majority_base_count"]) == ("passed", 20)
    assert (d2["outcome"], d2["majority_base_count"]) == ("failed", 20)
    d3 = ok(await decide(client, h, m3["id"], defer=True))
    assert d3["outcome"] == "deferred"
    ok(await close(client, h, m["id"]))
    assert [await proposal_state(client, pw, p["id"]) for p in (p1, p2, p3)] == ["shortlisted", "rejected", "deferred"]


async def test_inquorate_meeting_records_no_decision(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps[:19])
    motion = await add_motion(client, h, m["id"], p["id"])
    before = (await count(session, MotionVote), await count(session, MinutesItem), await audit_count(session))
    body = problem(await cast(client, h, motion["id"], reps[0]), 409, "meeting_inquorate")
    assert (body["attendance"], body["total_representatives"], body["needed"]) == (19, 30, 20)
    problem(await decide(client, h, motion["id"]), 409, "meeting_inquorate")
    problem(await decide(client, h, motion["id"], refer_to_residents_meeting=True), 409, "meeting_inquorate")
    assert (await count(session, MotionVote), await count(session, MinutesItem), await audit_count(session)) == before
    closed = ok(await close(client, h, m["id"]))
    assert closed["quorate"] is False and closed["attendance"] == 19
    [item] = ok(await client.get(f"{API}/meetings/{m['id']}/motions", headers=h))["items"]
    assert item["outcome"] == "deferred" and item["votes_for"] is None
    minutes = ok(await client.get(f"{API}/meetings/{m['id']}/minutes", headers=h))
    assert minutes["quorate"] is False and "不足法定人数" in minutes["items"][0]["discussion"]
    assert await proposal_state(client, pw, p["id"]) == "deferred"
    # 再议: the deferred proposal goes onto the next meeting's agenda and back into deliberation.
    m2 = await open_meeting(client, h, a1, reps[:25], topic="再议")
    await add_motion(client, h, m2["id"], p["id"])
    assert await proposal_state(client, pw, p["id"]) == "in_deliberation"


async def test_vote_needs_a_sign_in_and_only_one_vote(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    b1_reps = await add_roster(client, pw.h["staff_b1"], pw.tree.community_b1.id, 3, prefix="香岭代表")
    m = await open_meeting(client, h, a1, reps[:20])
    motion = await add_motion(client, h, m["id"], title="修订居民公约")
    ok(await cast(client, h, motion["id"], reps[0], "for"), 201)
    before = (await count(session, MotionVote), await audit_count(session))
    problem(await cast(client, h, motion["id"], reps[25]), 422, "not_signed_in")
    problem(await cast(client, h, motion["id"], reps[0], "against"), 409, "already_voted")
    problem(await cast(client, h, motion["id"], b1_reps[0]), 422, "not_a_representative")
    r = await client.post(
        f"{API}/motions/{motion['id']}/votes", headers=h, json={"representative_id": reps[1], "choice": "maybe"}
    )
    problem(r, 422, "validation_error")
    assert (await count(session, MotionVote), await audit_count(session)) == before
    sheet = ok(await client.get(f"{API}/motions/{motion['id']}/votes", headers=h))
    assert [(v["representative_id"], v["choice"]) for v in sheet["items"]] == [(reps[0], "for")]
    # A second sign-in of the same person is refused too.
    r = await client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": reps[0]})
    problem(r, 409, "already_signed_in")


async def test_closed_meeting_is_immutable(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], title="议题一")
    await votes(client, h, motion["id"], reps, n_for=2)
    ok(await decide(client, h, motion["id"]))
    other = await add_motion(client, h, m["id"], title="议题二")
    ok(await close(client, h, m["id"]))
    before = (
        await count(session, MotionVote),
        await count(session, Motion),
        await count(session, MeetingSignIn),
        await audit_count(session),
    )
    problem(await cast(client, h, other["id"], reps[0]), 409, "meeting_closed")
    problem(await decide(client, h, motion["id"]), 409, "meeting_closed")
    problem(
        await client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": reps[0]}),
        409,
        "meeting_closed",
    )
    problem(
        await client.post(f"{API}/meetings/{m['id']}/motions", headers=h, json={"title": "补充"}), 409, "meeting_closed"
    )
    problem(await close(client, h, m["id"]), 409, "meeting_closed")
    problem(
        await client.post(f"{API}/meetings/{m['id']}/cancel", headers=h, json={"reason": "x"}), 409, "meeting_closed"
    )
    after = (
        await count(session, MotionVote),
        await count(session, Motion),
        await count(session, MeetingSignIn),
        await audit_count(session),
    )
    assert after == before


async def test_decided_item_takes_no_more_votes_or_decisions(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], title="议题一")
    ok(await cast(client, h, motion["id"], reps[0]), 201)
    ok(
        await decide(
            client,
            h,
            motion["id"],
            refer_to_residents_meeting=True,
            confirm_incomplete=True,
            incomplete_reason="两名代表未表决即离场",
        )
    )
    problem(await cast(client, h, motion["id"], reps[1]), 409, "motion_decided")
    problem(await decide(client, h, motion["id"]), 409, "motion_decided")
    other = await add_motion(client, h, m["id"], title="议题二")
    problem(await decide(client, h, other["id"], defer=True, refer_to_residents_meeting=True), 422, "defer_or_refer")


async def test_meeting_lifecycle_guards(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    from tests.deliberation.helpers import announce

    m = await announce(client, h, a1)
    problem(await client.post(f"{API}/meetings/{m['id']}/open", headers=h), 409, "empty_roster")
    reps = await add_roster(client, h, a1, 3)
    problem(
        await client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": reps[0]}),
        409,
        "meeting_wrong_state",
    )
    problem(await close(client, h, m["id"]), 409, "meeting_wrong_state")
    ok(await client.post(f"{API}/meetings/{m['id']}/open", headers=h))
    # The roster is frozen while the meeting is in session: the total must not move under the quorum.
    r = await client.post(f"{API}/communities/{a1}/representatives", headers=h, json={"name": "新代表"})
    problem(r, 409, "roster_frozen")
    problem(await client.post(f"{API}/representatives/{reps[0]}/retire", headers=h, json={}), 409, "roster_frozen")
    m2 = await announce(client, h, a1, topic="第二次会议")
    problem(await client.post(f"{API}/meetings/{m2['id']}/open", headers=h), 409, "meeting_in_session")
    ok(await client.post(f"{API}/meetings/{m2['id']}/cancel", headers=h, json={"reason": "与第一次合并"}))
    r = await client.post(
        f"{API}/communities/{a1}/meetings",
        headers=h,
        json={
            "topic": "t",
            "scheduled_at": "2020-01-01T09:00:00+08:00",
            "place": "p",
            "host": "h",
            "participants": "x",
        },
    )
    problem(r, 422, "meeting_in_past")
    r = await client.post(
        f"{API}/communities/{a1}/meetings",
        headers=h,
        json={"topic": "t", "scheduled_at": "2099-01-01T09:00:00", "place": "p", "host": "h", "participants": "x"},
    )
    problem(r, 422, "validation_error")  # a time without a zone is ambiguous


async def test_agenda_guards(client, pw):
    from tests.deliberation.helpers import announce

    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    from tests.proposals.helpers import submitted

    early = await submitted(client, pw)
    m = await open_meeting(client, h, a1, reps)
    r = await client.post(f"{API}/meetings/{m['id']}/motions", headers=h, json={"proposal_id": early["id"]})
    problem(r, 409, "proposal_not_in_deliberation")
    problem(await client.post(f"{API}/meetings/{m['id']}/motions", headers=h, json={}), 422, "title_required")
    p = await in_deliberation(client, pw)
    await add_motion(client, h, m["id"], p["id"])
    r = await client.post(f"{API}/meetings/{m['id']}/motions", headers=h, json={"proposal_id": p["id"]})
    problem(r, 409, "proposal_already_on_agenda")
    # Nor may another open meeting take it while this one has it undecided.
    other = await announce(client, h, a1, topic="另一次会议")
    r = await client.post(f"{API}/meetings/{other['id']}/motions", headers=h, json={"proposal_id": p["id"]})
    problem(r, 409, "proposal_on_agenda")


async def test_withdrawn_proposal_keeps_its_state_at_close(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    p = await in_deliberation(client, pw)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], p["id"])
    ok(await client.post(f"{API}/proposals/{p['id']}/transitions", headers=pw.h["resident"], json={"to": "withdrawn"}))
    await votes(client, h, motion["id"], reps, n_for=3)
    ok(await decide(client, h, motion["id"]))
    ok(await close(client, h, m["id"]))
    assert await proposal_state(client, pw, p["id"]) == "withdrawn"


async def test_representative_signs_own_vote(client, session, app, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 2)
    me = pw.users["resident"]
    mine = ok(
        await client.post(
            f"{API}/communities/{a1}/representatives", headers=h, json={"name": "张居民", "user_id": str(me.id)}
        ),
        201,
    )
    m = await open_meeting(client, h, a1, [*reps, mine["id"]])
    motion = await add_motion(client, h, m["id"], title="议题")
    ok(await cast(client, pw.h["resident"], motion["id"], mine["id"]), 201)
    # Not for someone else, and nobody else signs for them.
    problem(await cast(client, pw.h["resident"], motion["id"], reps[0]), 403, "not_voter")
    problem(await cast(client, pw.h["resident2"], motion["id"], mine["id"]), 403, "not_voter")
    problem(await cast(client, pw.h["supervisor"], motion["id"], reps[0]), 403, "not_voter")
    problem(await cast(client, pw.h["resident_b1"], motion["id"], reps[0]), 404, "meeting_not_found")
    problem(await cast(client, pw.h["staff_b1"], motion["id"], reps[0]), 404, "meeting_not_found")
