"""Selection notices end to end: window, what it shows, objections, replies, reallocation, conclusion, confirmation."""

from app.funds.models import LedgerEntry, LedgerKind
from app.notices.models import Objection
from app.notices.workdays import add_working_days
from tests.notices.helpers import item_numbered, local_today, object_to, published, shift
from tests.programmes.helpers import API, funds_in, ok, problem
from tests.proposals.helpers import audit_count, count


async def state(client, pw, proposal_id) -> str:
    return ok(await client.get(f"{API}/proposals/{proposal_id}", headers=pw.h["staff_a1"]))["state"]


async def test_publish_shows_what_futian_shows_and_counts_working_days(client, session, app, pw):
    notice, rnd, proposals = await published(client, session, app, pw, implementers={})
    assert notice["ends_on"] == add_working_days(local_today(), 5).end.isoformat()
    assert notice["window_unit"] == "working_days" and notice["window_days"] == 5 and notice["phase"] == "open"
    assert [i["number"] for i in notice["items"]] == [1, 2, 4]
    first = item_numbered(notice, 1)
    assert (first["amount_fen"], first["votes"], first["project_type"]) == (1_200_000, 5, "goods")
    assert first["implementer"].endswith("居民委员会")
    assert first["funding_sources"] == [{"kind": "district_subsidy", "payer": "区财政", "planned_fen": 3_000_000}]
    assert "异议" in notice["how_to_object"]
    assert [await state(client, pw, p["id"]) for p in proposals] == [
        "in_notice",
        "in_notice",
        "not_selected",
        "in_notice",
    ]
    problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json={}),
        409,
        "notice_exists",
    )
    public = ok(await client.get(f"{API}/public/notices/{notice['id']}"))
    assert public["items"] == notice["items"]


async def test_shorter_than_the_programme_is_refused(client, session, app, pw):
    from tests.notices.helpers import closed_round

    rnd, _ = await closed_round(client, session, app, pw)
    body = problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json={"days": 4}),
        422,
        "notice_too_short",
    )
    assert body["minimum_days"] == 5
    longer = ok(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json={"days": 10}), 201
    )
    assert longer["ends_on"] == add_working_days(local_today(), 10).end.isoformat()


async def test_objections_replies_and_conclusion(client, session, app, pw):
    h = pw.h["staff_a1"]
    notice, rnd, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 2)
    filed = ok(await object_to(client, notice["id"], item["id"], contact="13912345678"), 201)
    assert filed["tracking_code"].startswith("YY-") and filed["status"] == "open"
    problem(await object_to(client, notice["id"], item["id"], reason=""), 422, "validation_error")
    problem(await object_to(client, notice["id"], item["id"], reason="长" * 1001), 422, "validation_error")
    other = item_numbered(notice, 1)["id"]
    problem(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            json={"item_id": str(rnd["id"]), "reason": "不存在的项目"},
        ),
        404,
        "item_not_found",
    )
    # The public sees the reason, never the contact; staff see both.
    public = ok(await client.get(f"{API}/public/notices/{notice['id']}"))
    assert public["objections"][0]["reason"].startswith("该项目") and "13912345678" not in str(public)
    queue = ok(await client.get(f"{API}/objections", headers=h, params={"status": "open"}))
    assert queue["total"] == 1 and queue["items"][0]["contact"] == "13912345678"

    await shift(session, notice["id"], 30)  # the window is over
    problem(await object_to(client, notice["id"], other), 409, "notice_not_open")
    problem(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h), 409, "objections_open")
    # A selected project is removed or sent back; "withdraw" is for awards only.
    problem(
        await client.post(
            f"{API}/objections/{filed['id']}/decision",
            headers=h,
            json={"outcome": "upheld", "reply": "成立", "ground": "finding", "action": "withdraw"},
        ),
        422,
        "objection_action",
    )
    ok(
        await client.post(
            f"{API}/objections/{filed['id']}/decision",
            headers=h,
            json={"outcome": "dismissed", "reply": "经核查，该项目不属于物业维修责任范围。"},
        )
    )
    problem(
        await client.post(
            f"{API}/objections/{filed['id']}/decision", headers=h, json={"outcome": "dismissed", "reply": "again"}
        ),
        409,
        "objection_closed",
    )
    tracked = ok(await client.get(f"{API}/public/objections/{filed['tracking_code']}"))
    assert tracked["status"] == "dismissed" and tracked["reply"].startswith("经核查")
    concluded = ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h))
    assert concluded["status"] == "concluded"

    # Confirmation commits the budget in the pilot's ledger, against money received.
    problem(
        await client.post(
            f"{API}/notice-items/{item['id']}/confirmation", headers=h, json={"entry_date": "2025-06-01"}
        ),
        409,
        "insufficient_funds",
    )
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    problem(
        await client.post(
            f"{API}/notice-items/{item['id']}/confirmation",
            headers=h,
            json={"budget_fen": 1_000_001, "entry_date": "2025-06-01"},
        ),
        409,
        "budget_above_notice",
    )
    confirmed = ok(
        await client.post(
            f"{API}/notice-items/{item['id']}/confirmation",
            headers=h,
            json={"budget_fen": 950_000, "plan": "修改完善后的实施方案", "entry_date": "2025-06-01"},
        ),
        201,
    )
    assert confirmed["budget_fen"] == 950_000 and confirmed["plan"] == "修改完善后的实施方案"
    assert await state(client, pw, item["proposal_id"]) == "confirmed"
    assert await count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.commitment) == 1
    balance = ok(await client.get(f"{API}/pilots/{pw.world.pilot_a1['id']}/balance", headers=pw.h["district"]))
    assert balance["committed_fen"] == 950_000
    problem(
        await client.post(f"{API}/notice-items/{item['id']}/confirmation", headers=h, json={}),
        409,
        "item_not_confirmable",
    )


async def test_notice_cannot_conclude_early(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    problem(
        await client.post(f"{API}/notices/{notice['id']}/conclude", headers=pw.h["staff_a1"]), 409, "notice_still_open"
    )
    item = item_numbered(notice, 1)
    problem(
        await client.post(f"{API}/notice-items/{item['id']}/confirmation", headers=pw.h["staff_a1"], json={}),
        409,
        "notice_not_concluded",
    )


async def test_upheld_objection_frees_money_for_the_next_project(client, session, app, pw):
    h = pw.h["staff_a1"]
    notice, rnd, proposals = await published(client, session, app, pw)
    filed = ok(await object_to(client, notice["id"], item_numbered(notice, 1)["id"]), 201)
    after = ok(
        await client.post(
            f"{API}/objections/{filed['id']}/decision",
            headers=h,
            json={
                "outcome": "upheld",
                "reply": "经调查属实，取消该项目资助。",
                "ground": "finding",
                "action": "remove",
            },
        )
    )
    assert item_numbered(after, 1)["status"] == "removed"
    # 12,000 freed: kept 2 and 4 (15,000), so project 3 (9,000, 4 votes) now fits and goes under notice.
    [move] = after["reallocations"]
    assert move["removed_number"] == 1 and move["newly_selected"] == [3]
    assert move["explanation"]["steps"][0]["code"] == "funded_from_freed_money"
    new_item = item_numbered(after, 3)
    assert new_item["status"] == "under_notice" and new_item["starts_on"] == local_today().isoformat()
    assert [await state(client, pw, p["id"]) for p in proposals] == [
        "not_selected",
        "in_notice",
        "in_notice",
        "in_notice",
    ]
    result = ok(await client.get(f"{API}/public/voting/rounds/{rnd['id']}"))
    assert [p["selected"] for p in result["projects"]] == [False, True, True, True]
    assert await audit_count(session, "round.reallocate") == 1


async def test_material_change_restarts_the_item(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    await shift(session, notice["id"], 3)
    item = item_numbered(notice, 4)
    changed = ok(
        await client.patch(
            f"{API}/notice-items/{item['id']}",
            headers=pw.h["staff_a1"],
            json={"amount_fen": 450_000, "reason": "供应商报价下调"},
        )
    )
    moved = item_numbered(changed, 4)
    assert moved["restarts"] == 1 and moved["amount_fen"] == 450_000
    assert moved["starts_on"] == local_today().isoformat()
    assert moved["ends_on"] == add_working_days(local_today(), 5).end.isoformat()
    problem(
        await client.patch(f"{API}/notice-items/{item['id']}", headers=pw.h["staff_a1"], json={"reason": "nothing"}),
        422,
        "validation_error",
    )


async def test_objections_are_rate_limited_per_address(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 1)["id"]
    codes = [(await object_to(client, notice["id"], item)).status_code for _ in range(21)]
    assert codes[:20] == [201] * 20 and codes[20] == 429
    assert await count(session, Objection) == 20


async def test_another_implementer_at_confirmation_restarts_the_items_notice(client, session, app, pw):
    h = pw.h["staff_a1"]
    notice, _, _ = await published(client, session, app, pw)
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    item = item_numbered(notice, 2)
    url = f"{API}/notice-items/{item['id']}/confirmation"
    # Naming the implementer under notice is no change; another one is material and confirms nothing.
    refused = problem(
        await client.post(
            url, headers=h, json={"implementer": "深圳市某某物业服务有限公司", "entry_date": "2025-06-01"}
        ),
        409,
        "implementer_changed",
    )
    assert refused["noticed_implementer"] == item["implementer"] and "重新公示" in refused["detail"]
    assert refused["restart"] == f"PATCH {API}/notice-items/{item['id']}"
    assert await count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.commitment) == 0
    assert await state(client, pw, item["proposal_id"]) == "in_notice"

    # The change goes under notice the way every material change does: the item's window starts over today and
    # the concluded notice reopens for it (objections are taken again).
    changed = ok(
        await client.patch(
            f"{API}/notice-items/{item['id']}",
            headers=h,
            json={"implementer": "深圳市某某物业服务有限公司", "reason": "原实施主体退出，改由物业公司实施"},
        )
    )
    moved = item_numbered(changed, 2)
    assert (changed["status"], moved["restarts"], moved["starts_on"]) == ("published", 1, local_today().isoformat())
    assert moved["implementer"] == "深圳市某某物业服务有限公司"
    assert await audit_count(session, "notice.item_restart") == 1
    problem(await client.post(url, headers=h, json={"entry_date": "2025-06-01"}), 409, "notice_not_concluded")
    ok(await object_to(client, notice["id"], item["id"]), 201)
