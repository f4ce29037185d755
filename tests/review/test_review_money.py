"""A review panel's money and the stages after it, through the API on both backends: the panel holds its budget
of the pilot's pool as a voting round does (two panels, or a panel and a round, never promise the same money),
dissolving releases it, an upheld objection on the review's 公示 moves the money down the panel's ranking and
the changed result goes under notice again, confirmation turns the hold into a commitment; and selection by
both, where the residents' vote weighs in the experts' standing."""

from app.review.models import ReviewPanel
from tests.auth.helpers import assert_problem
from tests.deliberation.helpers import add_motion, add_roster, close, decide, open_meeting, votes
from tests.notices.helpers import local_today, object_to, shift
from tests.programmes.helpers import API, balance, funds_in, ok
from tests.proposals.helpers import count, move
from tests.review.test_review_api import PANELS, items, panel_body, setup
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv

PLANNED = 3_000_000  # pilot a1's district subsidy: planned 30,000 元, not received yet


async def held(client, pw) -> tuple[int, int, int]:
    """(reserved by rounds, reserved by panels, unreserved) of pilot a1, as its balance shows them."""
    bal = await balance(client, pw.h["district"], pw.world.pilot_a1["id"])
    assert bal["reserved_by_panels_fen"] == sum(p["held_fen"] for p in bal["reserved_by_panels"])
    return bal["reserved_by_rounds_fen"], bal["reserved_by_panels_fen"], bal["unreserved_fen"]


def item_of(notice: dict, proposal_id: str) -> dict:
    return next(i for i in notice["items"] if i["proposal_id"] == proposal_id)


async def test_a_panel_holds_its_money_until_confirmation_and_an_objection_moves_it_down_the_ranking(
    client, session, app, tree
):
    pw, rubric, ids, experts = await setup(client, session, app, tree)
    h = pw.h["street_a"]
    first = ok(
        await client.post(
            PANELS,
            headers=h,
            json=panel_body(pw, rubric, ids[:2], experts, title="上半年评审", budget_fen=PLANNED - 10_000),
        ),
        201,
    )
    assert await held(client, pw) == (0, PLANNED - 10_000, 10_000)

    # A second panel cannot promise the same money: 409 naming the panel that holds it, nothing stored.
    before = await count(session, ReviewPanel)
    r = await client.post(PANELS, headers=h, json=panel_body(pw, rubric, ids[2:], experts, budget_fen=15_000))
    body = assert_problem(r, 409, "budget_reserved_by_other_rounds")
    assert body["review_panels"] == [
        {"panel_id": first["id"], "title": "上半年评审", "status": "open", "held_fen": PLANNED - 10_000}
    ]
    assert "上半年评审" in body["detail"] and "100.00 元" in body["detail"]
    assert await count(session, ReviewPanel) == before

    # Dissolving releases the budget and frees its applications for another panel; a dissolved panel is final.
    gone = ok(await client.post(f"{PANELS}/{first['id']}/dissolve", headers=h, json={"reason": "评审专家调整"}))
    assert (gone["status"], gone["status_reason"]) == ("dissolved", "评审专家调整")
    assert await held(client, pw) == (0, 0, PLANNED)
    assert_problem(
        await client.post(f"{PANELS}/{first['id']}/dissolve", headers=h, json={"reason": "再次"}),
        409,
        "panel_dissolved",
    )
    assert_problem(
        await client.put(
            f"{PANELS}/{first['id']}/applications/{ids[0]}/score", headers=experts["e0"][1], json=items(90)
        ),
        409,
        "panel_dissolved",
    )

    # 15,000 fen over 10,000 / 8,000 / 5,000: ranked 90, 80, 60, the first and third are funded.
    panel = ok(await client.post(PANELS, headers=h, json=panel_body(pw, rubric, ids, experts)), 201)
    url = f"{PANELS}/{panel['id']}"
    for pid, total in zip(ids, (90, 80, 60), strict=True):
        ok(await client.put(f"{url}/applications/{pid}/score", headers=experts["e0"][1], json=items(total)))
    closed = ok(await client.post(f"{url}/close", headers=h))
    assert [a["selected"] for a in closed["applications"]] == [True, False, True]
    assert await held(client, pw) == (0, 15_000, PLANNED - 15_000)
    assert_problem(await client.post(f"{url}/dissolve", headers=h, json={"reason": "撤销"}), 409, "panel_closed")

    # An upheld objection withdraws 长者饭堂; its 10,000 go down the ranking to 四点半课堂 (8,000), which goes
    # under the same notice with a full window from today. The panel holds what it now funds.
    notice = ok(await client.post(f"{url}/notice", headers=h, json={}), 201)
    filed = ok(await object_to(client, notice["id"], item_of(notice, ids[0])["id"]), 201)
    after = ok(
        await client.post(
            f"{API}/objections/{filed['id']}/decision",
            headers=pw.h["staff_a1"],
            json={
                "outcome": "upheld",
                "reply": "经核查，该组织同期已获同类资助，撤销入选。",
                "ground": "finding",
                "action": "remove",
            },
        )
    )
    [moved] = after["reallocations"]
    assert (moved["removed_number"], moved["newly_selected"]) == (1, [2])
    assert [s["code"] for s in moved["explanation"]["steps"]] == ["funded_from_freed_money"]
    assert "评审得分 80.00" in moved["explanation"]["steps"][0]["reason_zh"]
    added = item_of(after, ids[1])
    assert (added["status"], added["amount_fen"], added["starts_on"]) == (
        "under_notice",
        8_000,
        local_today().isoformat(),
    )
    states = [ok(await client.get(f"{API}/proposals/{i}", headers=pw.h["staff_a1"]))["state"] for i in ids]
    assert states == ["not_selected", "in_notice", "in_notice"]
    reread = ok(await client.get(url, headers=h))
    assert [a["selected"] for a in reread["applications"]] == [False, True, True]
    assert await held(client, pw) == (0, 13_000, PLANNED - 13_000)

    # The public reads the changed result beside the notice: the panel's size, each application's score after
    # trimming and whether it is funded now; no expert is named.
    public = ok(await client.get(f"{API}/public/review-panels/{panel['id']}"))
    assert public["experts"] == 6 and public["selected_cost_fen"] == 13_000 and public["notice_id"] == notice["id"]
    assert [(a["number"], a["review_mean"], a["selected"], a["objection_upheld"]) for a in public["applications"]] == [
        (1, 90.0, False, True),
        (2, 80.0, True, False),
        (3, 60.0, True, False),
    ]
    page = (await client.get(f"/board/reviews/{panel['id']}")).text
    assert "评审专家</dt><dd>6 名" in page and "90.00 分" in page and "异议成立，已撤销" in page
    assert "可用资金</dt><dd>150.00 元" in page and "入选项目合计 130.00 元" in page
    assert not any(str(u.id) in page or u.username in page for u, _ in experts.values())
    assert f"/board/reviews/{panel['id']}" in (await client.get(f"/board/notices/{notice['id']}")).text

    # After the window the two are confirmed: the hold becomes commitments, nothing stays reserved.
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=pw.h["staff_a1"]))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], PLANNED), 201)
    for pid in ids[1:]:
        ok(
            await client.post(
                f"{API}/notice-items/{item_of(after, pid)['id']}/confirmation",
                headers=pw.h["staff_a1"],
                json={"entry_date": "2025-06-01"},
            ),
            201,
        )
    bal = await balance(client, pw.h["district"], pw.world.pilot_a1["id"])
    assert (bal["committed_fen"], bal["reserved_by_panels_fen"], bal["unreserved_fen"]) == (13_000, 0, PLANNED - 13_000)


BOTH = {"selection": {"method": "both", "review_weight_pct": 60}}
PHONES = ["13900001001", "13900001002", "13900001003"]


async def test_selection_by_both_weighs_the_vote_into_the_review(client, session, app, tree):
    pw, rubric, ids, experts = await setup(client, session, app, tree, rules=BOTH)
    staff, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    # The representative meeting shortlists the three applications (入围).
    for pid in ids:
        ok(await move(client, staff, pid, "under_survey"))
        ok(await move(client, staff, pid, "in_deliberation"))
    reps = await add_roster(client, staff, a1, 3)
    meeting = await open_meeting(client, staff, a1, reps)
    for pid in ids:
        motion = await add_motion(client, staff, meeting["id"], pid)
        await votes(client, staff, motion["id"], reps, n_for=3)
        ok(await decide(client, staff, motion["id"]))
    ok(await close(client, staff, meeting["id"]))

    # The residents vote on two of them; the round holds everything left, so no panel may promise it meanwhile.
    ok(await import_roll(client, staff, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(
        await create_round(
            client, staff, pw.world.pilot_a1["id"], [{"id": i} for i in ids[:2]], title="公益微创投居民投票"
        ),
        201,
    )
    r = await client.post(
        PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids[2:], experts, budget_fen=5_000)
    )
    assert assert_problem(r, 409, "budget_reserved_by_other_rounds")["other_rounds"][0]["round_id"] == rnd["id"]
    for phone, ballot in zip(PHONES, ([1], [1], [2]), strict=True):
        ok(await cast(client, await resident(session, app, pw.tree.community_a1, phone), rnd["id"], ballot), 201)
    await end_window(session, rnd["id"])
    counted = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=staff))
    # The vote funds nothing itself: it holds no money and its projects go back to 入围 for the panel.
    assert counted["allocation"]["advisory"] is True
    assert [(p["votes"], p["selected"]) for p in counted["projects"]] == [(2, False), (1, False)]
    assert {ok(await client.get(f"{API}/proposals/{i}", headers=staff))["state"] for i in ids[:2]} == {"shortlisted"}
    assert await held(client, pw) == (0, 0, PLANNED)
    assert_problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=staff, json={}), 409, "round_advisory"
    )
    # An application no counted vote has held cannot be weighed.
    r = await client.post(PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids, experts))
    assert assert_problem(r, 409, "vote_not_held")["proposal_ids"] == [ids[2]]

    # 60% review, 40% vote share: 0.6 × 70 + 0.4 × 66.67 = 68.67 beats 0.6 × 90 + 0.4 × 33.33 = 67.33, and only
    # one fits the 10,000 fen: the residents' choice turns the experts' order.
    panel = ok(
        await client.post(
            PANELS, headers=pw.h["street_a"], json=panel_body(pw, rubric, ids[:2], experts, budget_fen=10_000)
        ),
        201,
    )
    url = f"{PANELS}/{panel['id']}"
    for pid, total in zip(ids[:2], (70, 90), strict=True):
        ok(await client.put(f"{url}/applications/{pid}/score", headers=experts["e0"][1], json=items(total)))
    closed = ok(await client.post(f"{url}/close", headers=pw.h["street_a"]))
    assert [(a["review_mean"], a["standing"], a["selected"]) for a in closed["applications"]] == [
        (70.0, 68.67, True),
        (90.0, 67.33, False),
    ]
    assert (closed["result"]["method"], closed["result"]["review_weight_pct"]) == ("both", 60)
    assert await held(client, pw) == (0, 10_000, PLANNED - 10_000)
    notice = ok(await client.post(f"{url}/notice", headers=pw.h["street_a"], json={}), 201)
    assert [i["proposal_id"] for i in notice["items"]] == [ids[0]]
