"""Expert review (评审) of 公益微创投 applications through the API, on both backends: a panel over a pilot's
screened applications, experts who must recuse themselves, rubric scores, the pitch session, and the close
that trims, ranks, funds within the budget and moves each application to 入选 or 未入选."""

import uuid

from sqlalchemy import func, select

from app.auth.models import Organisation, Role
from app.review.models import ReviewPanel, ReviewScore
from tests.auth.helpers import assert_problem
from tests.evaluation.helpers import CRITERIA, EV, criteria, person
from tests.notices.helpers import shift
from tests.programmes.helpers import API, funds_in, ok
from tests.proposals.helpers import body, make_pworld, move
from tests.proposals.test_venture import venture

PANELS = f"{API}/review-panels"
REVIEW = {"selection": {"method": "review"}}


def items(total: int) -> dict:
    """Points on every criterion adding up to total, filling criteria in the rubric's order."""
    out, left = [], total
    for key, _, most in CRITERIA:
        points = min(most, left)
        out.append({"criterion": key, "points": points})
        left -= points
    return {"items": out}


async def application(client, pw, cost_fen: int, title: str) -> str:
    """A 公益微创投 application of the organisation member, submitted and screened."""
    lines = [
        {"item": "社工服务费", "quantity": 1, "unit_price_fen": cost_fen // 5, "is_personnel": True},
        {"item": "活动物资", "quantity": 1, "unit_price_fen": cost_fen - cost_fen // 5},
    ]
    p = ok(
        await client.post(
            f"{API}/proposals",
            headers=pw.h["org_member"],
            json=venture(pw.tree.community_a1.id, title=title, budget_lines=lines),
        ),
        201,
    )
    ok(await client.post(f"{API}/proposals/{p['id']}/submit", headers=pw.h["org_member"]))
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    return p["id"]


async def setup(client, session, app, tree, rules=REVIEW):
    pw = await make_pworld(client, session, app, tree, rules=rules)
    rubric = ok(
        await client.post(
            f"{EV}/rubrics",
            headers=pw.h["district"],
            json={"district_id": str(tree.district.id), "name": "公益微创投评审细则", "criteria": criteria()},
        ),
        201,
    )
    ids = [
        await application(client, pw, cost, title)
        for cost, title in ((10_000, "长者饭堂"), (8_000, "四点半课堂"), (5_000, "邻里互助"))
    ]
    experts = {}
    for n in range(5):
        experts[f"e{n}"] = await person(session, app, f"expert{n}", Role.evaluator, tree.district)
    applicant = await session.get(Organisation, pw.users["org_member"].organisation_id)
    experts["linked"] = await person(session, app, "linked", Role.evaluator, tree.district, applicant)
    return pw, rubric, ids, experts


def panel_body(pw, rubric, ids, experts, **over) -> dict:
    return {
        "pilot_id": pw.world.pilot_a1["id"],
        "title": "2025年度公益微创投评审",
        "rubric_id": rubric["id"],
        "budget_fen": 15_000,
        "proposal_ids": ids,
        "expert_ids": [str(u.id) for u, _ in experts.values()],
        **over,
    }


async def panels(session) -> int:
    n = await session.scalar(select(func.count()).select_from(ReviewPanel))
    await session.commit()
    return n


async def test_review_from_application_to_selection(client, session, app, tree):
    pw, rubric, ids, experts = await setup(client, session, app, tree)
    panel = ok(await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, experts)), 201)
    assert [a["number"] for a in panel["applications"]] == [1, 2, 3] and panel["status"] == "open"
    url = f"{PANELS}/{panel['id']}"
    pitch = ok(
        await client.put(
            f"{url}/pitch",
            headers=pw.h["street_a"],
            json={
                "held_on": "2025-05-20",
                "place": "街道党群服务中心",
                "presenters": [{"proposal_id": ids[0], "presenter": "彩虹社工 项目主管"}],
            },
        )
    )
    assert pitch["pitch_place"] == "街道党群服务中心" and pitch["pitch_presenters"][0]["proposal_id"] == ids[0]

    # The expert who works for the applicant may not score it, and nothing is stored.
    r = await client.put(f"{url}/applications/{ids[0]}/score", headers=experts["linked"][1], json=items(100))
    assert assert_problem(r, 409, "conflict_of_interest")["reason"] == "applicant_organisation"
    # One who declared a conflict may not either; the declaration voids the score given before.
    e4 = experts["e4"][1]
    ok(await client.put(f"{url}/applications/{ids[2]}/score", headers=e4, json=items(99)))
    r = await client.post(
        f"{url}/applications/{ids[2]}/conflict-declaration", headers=e4, json={"reason": "本人曾在该组织兼职"}
    )
    assert r.status_code == 204, r.text
    assert_problem(
        await client.put(f"{url}/applications/{ids[2]}/score", headers=e4, json=items(99)), 409, "conflict_of_interest"
    )
    n = await session.scalar(
        select(func.count()).select_from(ReviewScore).where(ReviewScore.proposal_id.in_([uuid.UUID(ids[2])]))
    )
    await session.commit()
    assert n == 0
    # Points above a criterion's maximum, or a criterion left out: 422.
    bad = items(50)
    bad["items"][0]["points"] = 16
    assert_problem(
        await client.put(f"{url}/applications/{ids[0]}/score", headers=experts["e0"][1], json=bad),
        422,
        "points_above_max",
    )
    assert_problem(
        await client.put(
            f"{url}/applications/{ids[0]}/score", headers=experts["e0"][1], json={"items": items(50)["items"][:3]}
        ),
        422,
        "criteria_missing",
    )

    # Five scores for 长者饭堂 trim to 85 (untrimmed 75): it outranks 四点半课堂 (80), which then no longer fits.
    for name, total in zip(("e0", "e1", "e2", "e3", "e4"), (90, 80, 85, 20, 100), strict=True):
        ok(await client.put(f"{url}/applications/{ids[0]}/score", headers=experts[name][1], json=items(total)))
    for name in ("e0", "e1"):
        ok(await client.put(f"{url}/applications/{ids[1]}/score", headers=experts[name][1], json=items(80)))
    ok(await client.put(f"{url}/applications/{ids[2]}/score", headers=experts["e0"][1], json=items(60)))
    # Experts run nothing, and staff do not score.
    assert (await client.post(f"{url}/close", headers=experts["e0"][1])).status_code == 403
    assert (
        await client.put(f"{url}/applications/{ids[0]}/score", headers=pw.h["street_a"], json=items(90))
    ).status_code == 403

    closed = ok(await client.post(f"{url}/close", headers=pw.h["street_a"]))
    assert closed["status"] == "closed"
    outcome = {a["proposal_id"]: (a["review_mean"], a["selected"]) for a in closed["applications"]}
    assert outcome == {ids[0]: (85.0, True), ids[1]: (80.0, False), ids[2]: (60.0, True)}
    assert closed["result"]["cost_fen"] == 15_000 and closed["result"]["method"] == "review"
    states = [ok(await client.get(f"{API}/proposals/{i}", headers=pw.h["staff_a1"]))["state"] for i in ids]
    assert states == ["selected", "not_selected", "selected"]
    assert_problem(await client.post(f"{url}/close", headers=pw.h["street_a"]), 409, "panel_closed")

    # 公示 as for a vote's result: the selected applications go under notice, under their organisation's name.
    notice = ok(await client.post(f"{url}/notice", headers=pw.h["street_a"], json={}), 201)
    assert notice["kind"] == "selection" and notice["review_panel_id"] == panel["id"]
    assert "公益微创投评审入选项目公示" in notice["title"]
    assert [(i["proposal_id"], i["amount_fen"], i["votes"]) for i in notice["items"]] == [
        (ids[0], 10_000, None),
        (ids[2], 5_000, None),
    ]
    assert notice["items"][0]["implementer"].startswith("彩虹社工")
    states = [ok(await client.get(f"{API}/proposals/{i}", headers=pw.h["staff_a1"]))["state"] for i in ids]
    assert states == ["in_notice", "not_selected", "in_notice"]
    assert_problem(await client.post(f"{url}/notice", headers=pw.h["street_a"], json={}), 409, "notice_exists")

    # The window passes, the notice concludes, and confirmation commits the budget from the panel's pilot.
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=pw.h["staff_a1"]))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    ok(
        await client.post(
            f"{API}/notice-items/{notice['items'][0]['id']}/confirmation",
            headers=pw.h["staff_a1"],
            json={"entry_date": "2025-06-01"},
        ),
        201,
    )
    assert ok(await client.get(f"{API}/proposals/{ids[0]}", headers=pw.h["staff_a1"]))["state"] == "confirmed"
    balance = ok(await client.get(f"{API}/pilots/{pw.world.pilot_a1['id']}/balance", headers=pw.h["district"]))
    assert balance["committed_fen"] == 10_000
    assert_problem(
        await client.put(f"{url}/applications/{ids[1]}/score", headers=experts["e2"][1], json=items(90)),
        409,
        "panel_closed",
    )


async def test_panels_follow_the_programme_and_take_only_reviewable_applications(client, session, app, tree):
    pw, rubric, ids, experts = await setup(client, session, app, tree, rules=None)
    before = await panels(session)
    r = await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, experts))
    assert "居民投票" in assert_problem(r, 409, "selection_by_vote")["detail"]
    assert await panels(session) == before


async def test_a_panel_refuses_what_is_not_a_screened_venture(client, session, app, tree):
    pw, rubric, ids, experts = await setup(client, session, app, tree)
    livelihood = ok(
        await client.post(f"{API}/proposals", headers=pw.h["resident"], json=body(pw.tree.community_a1.id)), 201
    )
    before = await panels(session)
    r = await client.post(
        PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, [*ids, livelihood["id"]], experts)
    )
    assert assert_problem(r, 422, "application_not_reviewable")["proposal_ids"] == [livelihood["id"]]
    resident = {"x": (pw.users["resident"], None)}
    r = await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, resident))
    assert_problem(r, 422, "not_an_evaluator")
    assert_problem(
        await client.post(f"{PANELS}/{uuid.uuid4()}/notice", headers=pw.h["street_a"], json={}), 404, "panel_not_found"
    )
    # Street b's admin does not see community a1's pilot.
    r = await client.post(PANELS, headers=pw.h["street_b"], json=panel_body(pw, rubric, ids, experts))
    assert r.status_code == 404, r.text
    assert await panels(session) == before
    panel = ok(await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, experts)), 201)
    # An application already before an open panel is not taken twice.
    assert_problem(
        await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, experts)),
        422,
        "application_not_reviewable",
    )
    url = f"{PANELS}/{panel['id']}"
    assert_problem(await client.post(f"{url}/close", headers=pw.h["street_a"]), 409, "no_scores")
    # An application withdrawn while before the panel is neither ranked nor moved, and does not block the close.
    ok(await move(client, pw.h["org_member"], ids[1], "withdrawn"))
    ok(await client.put(f"{url}/applications/{ids[0]}/score", headers=experts["e0"][1], json=items(70)))
    closed = ok(await client.post(f"{url}/close", headers=pw.h["street_a"]))
    outcome = {a["proposal_id"]: a["selected"] for a in closed["applications"]}
    assert outcome == {ids[0]: True, ids[1]: None, ids[2]: False}
    states = [ok(await client.get(f"{API}/proposals/{i}", headers=pw.h["staff_a1"]))["state"] for i in ids]
    assert states == ["selected", "withdrawn", "not_selected"]


async def test_a_programme_that_selects_by_review_holds_no_resident_vote(client, session, app, tree):
    """The seam between the two paths: experts select, so a voting round would decide nothing (409), and the
    applications stay where they were."""
    from tests.voting.helpers import create_round

    pw, _rubric, ids, _experts = await setup(client, session, app, tree)
    r = await create_round(client, pw.h["staff_a1"], pw.world.pilot_a1["id"], [{"id": pid} for pid in ids])
    assert "专家评审" in assert_problem(r, 409, "selection_by_review")["detail"]
    states = {ok(await client.get(f"{API}/proposals/{pid}", headers=pw.h["staff_a1"]))["state"] for pid in ids}
    assert states == {"screened"}
