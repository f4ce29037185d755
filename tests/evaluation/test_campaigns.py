"""Rubrics (adding up to 100, versioned) and campaigns (one per programme, completed projects only, frozen once
open), run by the district admin."""

from datetime import timedelta

from app.evaluation.models import CampaignProject, EvaluationCampaign, Rubric, RubricVersion
from tests.evaluation.helpers import EV, criteria, end_campaign, full_score, local_today, make_eworld, score_url, window
from tests.programmes.helpers import ok, problem
from tests.proposals.helpers import audit_count, count


async def test_a_rubric_must_add_up_to_100_and_bad_ones_change_nothing(client, session, app, pw):
    h, district = pw.h, pw.tree.district
    body = {"district_id": str(district.id), "name": "评分细则"}
    short = problem(
        await client.post(f"{EV}/rubrics", headers=h["district"], json={**body, "criteria": criteria()[:-1]}),
        422,
        "rubric_total_not_100",
    )
    assert short["total_points"] == 85
    problem(
        await client.post(
            f"{EV}/rubrics",
            headers=h["district"],
            json={**body, "criteria": [{"key": "need", "name": "需求", "max_points": 50}] * 2},
        ),
        422,
        "criterion_duplicate",
    )
    problem(
        await client.post(
            f"{EV}/rubrics",
            headers=h["district"],
            json={**body, "criteria": [{"key": "need", "name": "需求", "max_points": 101}]},
        ),
        422,
        "validation_error",
    )
    problem(
        await client.post(f"{EV}/rubrics", headers=h["street_a"], json={**body, "criteria": criteria()}),
        403,
        "role_forbidden",
    )
    problem(
        await client.post(f"{EV}/rubrics", headers=h["other_district"], json={**body, "criteria": criteria()}),
        403,
        "evaluation_forbidden",
    )
    assert await count(session, Rubric) == 0 and await count(session, RubricVersion) == 0
    assert await audit_count(session, "rubric.create") == 0

    rubric = ok(await client.post(f"{EV}/rubrics", headers=h["district"], json={**body, "criteria": criteria()}), 201)
    assert rubric["latest_version"] == 1 and sum(c["max_points"] for c in rubric["versions"][0]["criteria"]) == 100
    assert ok(await client.get(f"{EV}/rubrics", headers=h["supervisor"]))["total"] == 1
    problem(await client.get(f"{EV}/rubrics/{rubric['id']}", headers=h["other_district"]), 404, "rubric_not_found")


async def test_a_campaign_keeps_the_rubric_version_it_started_with(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    h = ew.h
    v2 = [
        {"key": "impact", "name": "社会影响", "max_points": 60},
        {"key": "need", "name": "需求迫切性", "max_points": 40},
    ]
    rubric = ok(
        await client.post(
            f"{EV}/rubrics/{ew.rubric['id']}/versions",
            headers=h["district"],
            json={"criteria": v2, "note": "简化为两项"},
        ),
        201,
    )
    assert rubric["latest_version"] == 2 and [v["version"] for v in rubric["versions"]] == [2, 1]
    campaign = ok(await client.get(f"{EV}/campaigns/{ew.cid}", headers=h["district"]))
    assert campaign["rubric_version"] == 1 and len(campaign["criteria"]) == 7
    problem(
        await client.post(f"{EV}/rubrics/{ew.rubric['id']}/versions", headers=h["district"], json={"criteria": v2[:1]}),
        422,
        "rubric_total_not_100",
    )
    assert await count(session, RubricVersion) == 2

    # Scores are still checked against version 1: its criteria count, version 2's are unknown.
    ok(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=h["district"],
            json={"proposal_ids": [ew.projects["p2"]], "evaluator_id": str(ew.users["expert"].id)},
        ),
        201,
    )
    problem(
        await client.put(
            score_url(ew.cid, ew.projects["p2"]),
            headers=h["expert"],
            json={"items": [{"criterion": "impact", "points": 50}]},
        ),
        422,
        "unknown_criterion",
    )
    submitted = ok(
        await client.post(score_url(ew.cid, ew.projects["p2"], submit=True), headers=h["expert"], json=full_score())
    )
    assert [i["criterion"] for i in submitted["items"]][:2] == ["need", "feasibility"]


async def test_campaign_setup_refusals_change_nothing(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    h, programme_id = ew.h, pw.world.programme["id"]
    body = {"programme_id": programme_id, "title": "再来一次", "rubric_id": ew.rubric["id"], **window()}
    problem(await client.post(f"{EV}/campaigns", headers=h["district"], json=body), 409, "campaign_exists")
    problem(await client.post(f"{EV}/campaigns", headers=h["street_a"], json=body), 403, "role_forbidden")
    problem(await client.post(f"{EV}/campaigns", headers=h["other_district"], json=body), 403, "evaluation_forbidden")
    problem(
        await client.post(
            f"{EV}/campaigns",
            headers=h["district"],
            json={**body, "weights": {"resident": 0.5, "expert": 0.7, "third_party": 0}},
        ),
        422,
        "validation_error",
    )
    assert await count(session, EvaluationCampaign) == 1

    # Only completed projects of the campaign's programme, each once.
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/projects", headers=h["district"], json={"proposal_ids": [ew.projects["p3"]]}
        ),
        409,
        "project_not_completed",
    )
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/projects", headers=h["district"], json={"proposal_ids": [ew.projects["p2"]]}
        ),
        409,
        "project_already_added",
    )
    assert await count(session, CampaignProject) == 2
    listed = ok(await client.get(f"{EV}/campaigns/{ew.cid}/projects", headers=h["street_a"]))
    assert {p["proposal_id"] for p in listed["items"]} == {ew.projects["p1"], ew.projects["p2"]}
    # Taking a project out is possible only while nobody evaluated it.
    ok(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=h["district"],
            json={"proposal_ids": [ew.projects["p1"]], "evaluator_id": str(ew.users["expert"].id)},
        ),
        201,
    )
    problem(
        await client.delete(f"{EV}/campaigns/{ew.cid}/projects/{ew.projects['p1']}", headers=h["district"]),
        409,
        "project_has_evaluations",
    )
    assert (
        await client.delete(f"{EV}/campaigns/{ew.cid}/projects/{ew.projects['p2']}", headers=h["district"])
    ).status_code == 204
    assert await count(session, CampaignProject) == 1


async def test_an_open_campaign_takes_a_new_title_or_a_later_deadline_but_no_new_rubric_or_start(
    client, session, app, pw
):
    ew = await make_eworld(client, session, app, pw)
    h, url = ew.h["district"], f"{EV}/campaigns/{ew.cid}"
    refused = problem(
        await client.patch(
            url, headers=h, json={"rubric_version": 1, "weights": {"resident": 0.2, "expert": 0.5, "third_party": 0.3}}
        ),
        409,
        "campaign_started",
    )
    assert refused["fields"] == ["rubric_version"]
    problem(await client.patch(url, headers=h, json={"opens_on": local_today().isoformat()}), 409, "campaign_started")
    earlier = (local_today() + timedelta(days=2)).isoformat()
    problem(await client.patch(url, headers=h, json={"closes_on": earlier}), 422, "deadline_moved_earlier")
    later = (local_today() + timedelta(days=20)).isoformat()
    changed = ok(await client.patch(url, headers=h, json={"closes_on": later, "title": "2025年度评估（延期）"}))
    assert changed["closes_on"] == later and changed["weights"] == {"resident": 0.3, "expert": 0.7, "third_party": 0.0}
    assert await audit_count(session, "campaign.update") == 1
    await end_campaign(session, ew.cid)
    problem(await client.patch(url, headers=h, json={"title": "改"}), 409, "campaign_ended")


async def test_an_upcoming_campaign_may_change_its_rules_and_rubric(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw, campaign_window=window(opened_days_ago=-3, closes_in_days=10))
    h, url = ew.h["district"], f"{EV}/campaigns/{ew.cid}"
    assert ok(await client.get(url, headers=h))["phase"] == "upcoming"
    ok(
        await client.post(
            f"{EV}/rubrics/{ew.rubric['id']}/versions",
            headers=h,
            json={"criteria": [{"key": "outcomes", "name": "实施成效", "max_points": 100}]},
        ),
        201,
    )
    changed = ok(
        await client.patch(
            url,
            headers=h,
            json={
                "rubric_version": 2,
                "weights": {"resident": 0.3, "expert": 0.4, "third_party": 0.3},
                "grade_cutoffs": {"excellent": 85, "good": 75, "passing": 60},
            },
        )
    )
    assert changed["rubric_version"] == 2 and changed["weights"]["third_party"] == 0.3
    assert changed["grade_cutoffs"]["excellent"] == 85 and changed["trim_extremes"] is True
    problem(
        await client.patch(url, headers=h, json={"opens_on": "2026-01-10", "closes_on": "2026-01-05"}),
        422,
        "window_invalid",
    )


async def test_scoring_settings_change_while_open_until_the_first_score_is_submitted(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    h, url = ew.h["district"], f"{EV}/campaigns/{ew.cid}"
    assert ok(await client.get(url, headers=h))["phase"] == "open"
    changed = ok(
        await client.patch(
            url,
            headers=h,
            json={
                "weights": {"resident": 0.2, "expert": 0.5, "third_party": 0.3},
                "trim_extremes": False,
                "grade_cutoffs": {"excellent": 85, "good": 75, "passing": 60},
            },
        )
    )
    assert changed["weights"] == {"resident": 0.2, "expert": 0.5, "third_party": 0.3}
    assert changed["trim_extremes"] is False and changed["grade_cutoffs"]["excellent"] == 85
    # A draft is the evaluator's working copy: it freezes nothing.
    ok(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=h,
            json={"proposal_ids": [ew.projects["p2"]], "evaluator_id": str(ew.users["expert"].id)},
        ),
        201,
    )
    ok(
        await client.put(
            score_url(ew.cid, ew.projects["p2"]),
            headers=ew.h["expert"],
            json={"items": [{"criterion": "need", "points": 10}]},
        )
    )
    ok(await client.patch(url, headers=h, json={"satisfaction_floor_pct": 75, "trim_extremes": True}))

    ok(await client.post(score_url(ew.cid, ew.projects["p2"], submit=True), headers=ew.h["expert"], json=full_score()))
    before = (ok(await client.get(url, headers=h)), await audit_count(session, "campaign.update"))
    frozen = problem(
        await client.patch(
            url, headers=h, json={"title": "改名", "weights": {"resident": 0.3, "expert": 0.7, "third_party": 0}}
        ),
        409,
        "scoring_frozen",
    )
    assert frozen["fields"] == ["weights"] and frozen["first_submitted_at"] is not None
    assert "已冻结" in frozen["detail"]
    for field, value in (
        ("trim_extremes", False),
        ("grade_cutoffs", {"excellent": 90, "good": 80, "passing": 60}),
        ("satisfaction_floor_pct", 70),
    ):
        assert problem(await client.patch(url, headers=h, json={field: value}), 409, "scoring_frozen")["fields"] == [
            field
        ]
    assert (ok(await client.get(url, headers=h)), await audit_count(session, "campaign.update")) == before
    # Title and a later deadline still change.
    later = (local_today() + timedelta(days=30)).isoformat()
    assert (
        ok(await client.patch(url, headers=h, json={"title": "2025年度评估（延期）", "closes_on": later}))["closes_on"]
        == later
    )
