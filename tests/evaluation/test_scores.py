"""Scores: draft, submit, amend with history; bounds per criterion; assigned projects only; locked at the deadline;
Idempotency-Key on submission."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.awards.inputs import campaign_inputs
from app.evaluation.models import Score, ScoreHistory
from tests.evaluation.helpers import (
    EV,
    assign,
    end_campaign,
    full_score,
    local_today,
    make_eworld,
    score_url,
    set_window,
)
from tests.programmes.helpers import ok, problem
from tests.proposals.helpers import audit_count, count


async def test_draft_submit_and_amend_keep_the_history(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2, h = ew.projects["p2"], ew.h["expert"]
    ok(await assign(client, ew, [p2], evaluator=ew.users["expert"]), 201)
    empty = ok(await client.get(score_url(ew.cid, p2), headers=h))
    assert empty["status"] is None and empty["items"] == []

    draft = ok(
        await client.put(
            score_url(ew.cid, p2),
            headers=h,
            json={
                "items": [
                    {"criterion": "outcomes", "points": 12, "comment": "成效明显"},
                    {"criterion": "need", "points": 14},
                ],
                "comment": "待补充",
            },
        )
    )
    assert draft["status"] == "draft" and draft["version"] == 0 and draft["total_points"] == 26
    assert [i["criterion"] for i in draft["items"]] == ["need", "outcomes"]  # the rubric's order
    assert draft["items"][1] == {
        "criterion": "outcomes",
        "name": "实施成效",
        "max_points": 15,
        "points": 12,
        "comment": "成效明显",
    }
    missing = problem(
        await client.post(
            score_url(ew.cid, p2, submit=True), headers=h, json={"items": [{"criterion": "need", "points": 14}]}
        ),
        422,
        "criteria_missing",
    )
    assert missing["criteria"] == ["feasibility", "innovation", "budget", "team", "participation", "outcomes"]

    first = ok(await client.post(score_url(ew.cid, p2, submit=True), headers=h, json=full_score()))
    assert first["status"] == "submitted" and first["version"] == 1 and first["total_points"] == 93
    assert first["history"] == []
    problem(await client.put(score_url(ew.cid, p2), headers=h, json=full_score()), 409, "score_submitted")

    amended = ok(
        await client.post(
            score_url(ew.cid, p2, submit=True), headers=h, json=full_score({"innovation": 5}, comment="创新性一般")
        )
    )
    assert amended["version"] == 2 and amended["total_points"] == 89 and amended["comment"] == "创新性一般"
    assert [(v["version"], v["total_points"], v["comment"]) for v in amended["history"]] == [(1, 93, "总体良好")]
    same = ok(
        await client.post(
            score_url(ew.cid, p2, submit=True), headers=h, json=full_score({"innovation": 5}, comment="创新性一般")
        )
    )
    assert same["version"] == 2 and len(same["history"]) == 1
    assert await count(session, ScoreHistory) == 1
    assert [await audit_count(session, a) for a in ("score.save_draft", "score.submit", "score.amend")] == [1, 1, 1]

    mine = ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-assignments", headers=h))
    assert [(i["proposal_id"], i["progress"], i["total_points"], i["version"]) for i in mine["items"]] == [
        (p2, "submitted", 89, 2)
    ]
    scores = ok(await client.get(f"{EV}/campaigns/{ew.cid}/scores", headers=ew.h["district"]))
    assert scores["total"] == 1 and scores["items"][0]["total_points"] == 89
    assert scores["items"][0]["assignee"] == ew.users["expert"].display_name


async def test_out_of_bounds_points_and_unknown_criteria_change_nothing(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2, h = ew.projects["p2"], ew.h["expert"]
    ok(await assign(client, ew, [p2], evaluator=ew.users["expert"]), 201)
    above = problem(
        await client.post(score_url(ew.cid, p2, submit=True), headers=h, json=full_score({"innovation": 11})),
        422,
        "points_above_max",
    )
    assert above["criteria"] == [{"criterion": "innovation", "points": 11, "max_points": 10}]
    problem(
        await client.put(score_url(ew.cid, p2), headers=h, json={"items": [{"criterion": "need", "points": 16}]}),
        422,
        "points_above_max",
    )
    negative = problem(
        await client.put(score_url(ew.cid, p2), headers=h, json={"items": [{"criterion": "need", "points": -1}]}),
        422,
        "validation_error",
    )
    assert negative["errors"][0]["loc"] == ["body", "items", "0", "points"]
    problem(
        await client.put(score_url(ew.cid, p2), headers=h, json={"items": [{"criterion": "charm", "points": 1}]}),
        422,
        "unknown_criterion",
    )
    problem(
        await client.put(
            score_url(ew.cid, p2),
            headers=h,
            json={"items": [{"criterion": "need", "points": 1}, {"criterion": "need", "points": 2}]},
        ),
        422,
        "criterion_duplicate",
    )
    assert await count(session, Score) == 0
    assert await audit_count(session, "score.save_draft") == 0


async def test_only_assigned_projects_are_scored(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2, p3 = ew.projects["p1"], ew.projects["p2"], ew.projects["p3"]
    ok(await assign(client, ew, [p2], evaluator=ew.users["expert"]), 201)
    problem(
        await client.post(score_url(ew.cid, p1, submit=True), headers=ew.h["expert"], json=full_score()),
        403,
        "not_assigned",
    )
    problem(await client.put(score_url(ew.cid, p2), headers=ew.h["expert2"], json=full_score()), 403, "not_assigned")
    problem(await client.get(score_url(ew.cid, p2), headers=ew.h["expert2"]), 403, "not_assigned")
    problem(
        await client.post(score_url(ew.cid, p3, submit=True), headers=ew.h["expert"], json=full_score()),
        404,
        "project_not_in_campaign",
    )
    problem(
        await client.post(score_url(ew.cid, p2, submit=True), headers=ew.h["district"], json=full_score()),
        403,
        "role_forbidden",
    )
    # Someone with no assignment does not see the campaign at all.
    problem(await client.get(f"{EV}/campaigns/{ew.cid}", headers=ew.h["expert2"]), 404, "campaign_not_found")
    assert ok(await client.get(f"{EV}/campaigns", headers=ew.h["expert2"]))["total"] == 0
    assert ok(await client.get(f"{EV}/campaigns", headers=ew.h["expert"]))["total"] == 1
    assert await count(session, Score) == 0


async def test_scores_lock_at_the_deadline(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2, h = ew.projects["p1"], ew.projects["p2"], ew.h["expert"]
    ok(await assign(client, ew, [p1, p2], evaluator=ew.users["expert"]), 201)
    ok(await client.post(score_url(ew.cid, p2, submit=True), headers=h, json=full_score()))
    ok(await client.put(score_url(ew.cid, p1), headers=h, json={"items": [{"criterion": "need", "points": 3}]}))
    await end_campaign(session, ew.cid)
    ended = problem(
        await client.post(score_url(ew.cid, p2, submit=True), headers=h, json=full_score({"need": 1})),
        409,
        "campaign_ended",
    )
    assert ended["closes_on"] == (local_today() - timedelta(days=1)).isoformat()
    problem(await client.post(score_url(ew.cid, p1, submit=True), headers=h, json=full_score()), 409, "campaign_ended")
    problem(await client.put(score_url(ew.cid, p1), headers=h, json=full_score()), 409, "campaign_ended")
    locked = ok(await client.get(score_url(ew.cid, p2), headers=h))
    assert locked["version"] == 1 and locked["total_points"] == 93
    rows = (await session.execute(select(Score.proposal_id, Score.status, Score.total_points))).all()
    await session.commit()
    assert {(str(p), s.value, t) for p, s, t in rows} == {(p2, "submitted", 93), (p1, "draft", 3)}

    await set_window(session, ew.cid, 1, 10)  # not open yet
    problem(await client.put(score_url(ew.cid, p1), headers=h, json=full_score()), 409, "campaign_not_open")


async def test_an_idempotency_key_replays_a_submission(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2 = ew.projects["p2"]
    ok(await assign(client, ew, [p2], evaluator=ew.users["expert"]), 201)
    headers = {**ew.h["expert"], "Idempotency-Key": "score-p2-0001"}
    first = await client.post(score_url(ew.cid, p2, submit=True), headers=headers, json=full_score())
    again = await client.post(score_url(ew.cid, p2, submit=True), headers=headers, json=full_score())
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    problem(
        await client.post(score_url(ew.cid, p2, submit=True), headers=headers, json=full_score({"need": 1})),
        422,
        "idempotency_key_reused",
    )
    assert await audit_count(session, "score.submit") == 1
    assert await audit_count(session, "score.amend") == 0
    assert await count(session, Score) == 1


async def test_a_declared_conflict_stops_scoring_and_voids_the_score(client, session, app, pw):
    """Issue 27 (回避申报): an expert who declares a conflict with a project scores it no more, and the score they
    gave it drops out of what award runs compute from."""
    ew = await make_eworld(client, session, app, pw)
    p1, p2, h = ew.projects["p1"], ew.projects["p2"], ew.h["expert"]
    ok(await assign(client, ew, [p1, p2], evaluator=ew.users["expert"]), 201)
    for pid in (p1, p2):
        ok(await client.post(score_url(ew.cid, pid, submit=True), headers=h, json=full_score()))
    declare = score_url(ew.cid, p1).removesuffix("/score") + "/conflict-declaration"
    problem(await client.post(declare, headers=h, json={"reason": ""}), 422, "validation_error")
    problem(
        await client.post(declare, headers=ew.h["expert2"], json={"reason": "本人为申报机构理事"}), 403, "not_assigned"
    )
    declared = ok(await client.post(declare, headers=h, json={"reason": "本人为申报机构理事"}))
    assert declared["conflict_reason"] == "本人为申报机构理事" and declared["conflict_declared_at"]
    versions = await count(session, ScoreHistory)
    problem(
        await client.post(score_url(ew.cid, p1, submit=True), headers=h, json=full_score({"need": 1})),
        409,
        "conflict_declared",
    )
    problem(await client.put(score_url(ew.cid, p1), headers=h, json={"items": []}), 409, "conflict_declared")
    problem(await client.post(declare, headers=h, json={"reason": "再次申报"}), 409, "conflict_declared")
    assert await count(session, ScoreHistory) == versions
    inputs = await campaign_inputs(session, uuid.UUID(ew.cid))
    assert sorted(s["project_id"] for s in inputs["scores"]) == [p2]
    assert await audit_count(session, "assignment.conflict_declared") == 1
