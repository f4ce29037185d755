"""The district's progress view: which assignments are missing, in draft, submitted or late; filtered and paged."""

from tests.evaluation.helpers import EV, assign, end_campaign, full_score, make_eworld, score_url
from tests.programmes.helpers import ok, problem


async def test_progress_counts_missing_draft_submitted_and_late(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2 = ew.projects["p1"], ew.projects["p2"]
    ok(await assign(client, ew, [p2, p1], evaluator=ew.users["expert"]), 201)
    ok(await assign(client, ew, [p2], evaluator=ew.users["expert2"]), 201)
    ok(await assign(client, ew, [p2], organisation=ew.orgs["assessor"]), 201)
    ok(
        await client.put(
            score_url(ew.cid, p2), headers=ew.h["expert"], json={"items": [{"criterion": "need", "points": 9}]}
        )
    )
    ok(await client.post(score_url(ew.cid, p1, submit=True), headers=ew.h["expert"], json=full_score()))
    url = f"{EV}/campaigns/{ew.cid}/progress"

    view = ok(await client.get(url, headers=ew.h["district"]))
    assert view["phase"] == "open" and view["total"] == 4
    assert view["counts"] == {"missing": 2, "draft": 1, "submitted": 1, "late": 0, "total": 4}
    missing = ok(await client.get(url, headers=ew.h["district"], params={"state": "missing", "limit": 1}))
    assert missing["total"] == 2 and len(missing["items"]) == 1 and missing["items"][0]["progress"] == "missing"
    second = ok(await client.get(url, headers=ew.h["district"], params={"state": "missing", "limit": 1, "offset": 1}))
    assert {missing["items"][0]["assignee"], second["items"][0]["assignee"]} == {
        ew.users["expert2"].display_name,
        ew.orgs["assessor"].name,
    }
    draft = ok(await client.get(url, headers=ew.h["supervisor"], params={"state": "draft"}))
    assert [(i["proposal_id"], i["evaluator_id"]) for i in draft["items"]] == [(p2, str(ew.users["expert"].id))]
    third = ok(await client.get(url, headers=ew.h["district"], params={"source": "third_party"}))
    assert third["counts"] == {"missing": 1, "draft": 0, "submitted": 0, "late": 0, "total": 1}
    assert ok(await client.get(url, headers=ew.h["district"], params={"proposal_id": p1}))["counts"]["submitted"] == 1
    problem(await client.get(url, headers=ew.h["district"], params={"state": "lost"}), 422, "validation_error")
    problem(await client.get(url, headers=ew.h["street_a"]), 403, "role_forbidden")
    problem(await client.get(url, headers=ew.h["other_district"]), 404, "campaign_not_found")

    await end_campaign(session, ew.cid)
    late = ok(await client.get(url, headers=ew.h["district"]))
    assert late["phase"] == "ended"
    assert late["counts"] == {"missing": 0, "draft": 0, "submitted": 1, "late": 3, "total": 4}
    listed = ok(await client.get(url, headers=ew.h["district"], params={"state": "late"}))
    assert listed["total"] == 3 and {i["progress"] for i in listed["items"]} == {"late"}
    assert ok(await client.get(url, headers=ew.h["district"], params={"state": "missing"}))["total"] == 0
    mine = ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-assignments", headers=ew.h["expert"]))
    assert {(i["proposal_id"], i["progress"]) for i in mine["items"]} == {(p1, "submitted"), (p2, "late")}
