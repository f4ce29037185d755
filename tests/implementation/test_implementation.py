"""Implementation: a confirmed project starts with its implementer and plan; milestones, progress, overdue, public."""

from datetime import timedelta

from app.common.models import utcnow
from app.implementation.models import Milestone
from app.notices.rules import today
from tests.implementation.helpers import confirmed_project
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import PDF, PNG, count
from tests.voting.helpers import shortlist


def plan(**over) -> dict:
    now = today(utcnow())
    return {
        "implementer_kind": "resident_team",
        "implementer_name": "彩田村小区居民志愿队",
        "milestones": [
            {"title": "采购灯具", "due_on": (now + timedelta(days=10)).isoformat()},
            {"title": "安装完成", "due_on": (now + timedelta(days=30)).isoformat()},
        ],
        **over,
    }


async def upload(client, h, proposal_id, data: bytes, name: str) -> dict:
    return ok(
        await client.post(f"{API}/proposals/{proposal_id}/attachments", headers=h, files={"file": (name, data)}), 201
    )


async def test_start_progress_and_public_view(client, session, app, pw):
    h = pw.h["staff_a1"]
    item = await confirmed_project(client, session, app, pw)
    pid = item["proposal_id"]
    started = ok(await client.post(f"{API}/projects/{pid}/implementation", headers=h, json=plan()), 201)
    assert started["implementer_name"] == "彩田村小区居民志愿队" and len(started["milestones"]) == 2
    assert ok(await client.get(f"{API}/proposals/{pid}", headers=h))["state"] == "in_implementation"
    problem(
        await client.post(f"{API}/projects/{pid}/implementation", headers=h, json=plan()), 409, "project_not_confirmed"
    )

    photo = await upload(client, h, pid, PNG, "现场.html")
    report = await upload(client, h, pid, PDF, "报告.pdf")
    first = started["milestones"][0]
    problem(
        await client.post(
            f"{API}/projects/{pid}/progress", headers=h, json={"text": "灯具已到货", "photo_ids": [report["id"]]}
        ),
        422,
        "photo_not_in_project",
    )
    update = ok(
        await client.post(
            f"{API}/projects/{pid}/progress",
            headers=h,
            json={"text": "灯具已到货，下周安装。", "milestone_id": first["id"], "photo_ids": [photo["id"]]},
        ),
        201,
    )
    assert update["photo_ids"] == [photo["id"]]
    done = ok(await client.post(f"{API}/milestones/{first['id']}/done", headers=h, json={}))
    assert done["milestones"][0]["done_on"] == today(utcnow()).isoformat()
    problem(await client.post(f"{API}/milestones/{first['id']}/done", headers=h, json={}), 409, "milestone_done")

    public = ok(await client.get(f"{API}/public/projects/{pid}/progress"))
    assert public["progress"][0]["text"].startswith("灯具已到货")
    shown = await client.get(f"{API}/public/progress-photos/{photo['id']}")
    assert shown.status_code == 200 and shown.content == PNG
    # Named by its id and its checked type (never the uploader's name or extension), shown inline in pages.
    name = f"progress-photo-{photo['id']}.png"
    assert shown.headers["content-disposition"] == f"inline; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(f"{API}/public/progress-photos/{report['id']}")).status_code == 404


async def test_overdue_milestones_are_listed_for_staff(client, session, app, pw):
    h = pw.h["staff_a1"]
    item = await confirmed_project(client, session, app, pw)
    ok(await client.post(f"{API}/projects/{item['proposal_id']}/implementation", headers=h, json=plan()), 201)
    later = (today(utcnow()) + timedelta(days=12)).isoformat()
    overdue = ok(await client.get(f"{API}/implementation/overdue-milestones", headers=h, params={"as_of": later}))
    assert overdue["total"] == 1 and overdue["items"][0]["milestone_title"] == "采购灯具"
    assert overdue["items"][0]["days_overdue"] == 2
    assert (
        ok(
            await client.get(
                f"{API}/implementation/overdue-milestones", headers=pw.h["staff_b1"], params={"as_of": later}
            )
        )["total"]
        == 0
    )
    assert ok(await client.get(f"{API}/implementation/overdue-milestones", headers=h))["total"] == 0


async def test_bad_plans_change_nothing(client, session, app, pw):
    h = pw.h["staff_a1"]
    [unconfirmed] = await shortlist(client, pw, [300_000])
    problem(
        await client.post(f"{API}/projects/{unconfirmed['id']}/implementation", headers=h, json=plan()),
        409,
        "project_not_confirmed",
    )
    item = await confirmed_project(client, session, app, pw)
    pid = item["proposal_id"]
    past = (today(utcnow()) - timedelta(days=1)).isoformat()
    problem(
        await client.post(
            f"{API}/projects/{pid}/implementation", headers=h, json=plan(milestones=[{"title": "x", "due_on": past}])
        ),
        422,
        "milestone_before_start",
    )
    problem(
        await client.post(
            f"{API}/projects/{pid}/implementation", headers=h, json=plan(implementer_kind="organisation")
        ),
        422,
        "validation_error",
    )
    problem(
        await client.post(f"{API}/projects/{pid}/implementation", headers=pw.h["staff_b1"], json=plan()),
        404,
        "proposal_not_found",
    )
    problem(
        await client.post(f"{API}/projects/{pid}/implementation", headers=pw.h["district"], json=plan()),
        403,
        "role_forbidden",
    )
    assert await count(session, Milestone) == 0


async def test_board_shows_progress_photos_and_spending(client, session, app, pw):
    h = pw.h["staff_a1"]
    item = await confirmed_project(client, session, app, pw)
    pid = item["proposal_id"]
    ok(await client.post(f"{API}/projects/{pid}/implementation", headers=h, json=plan()), 201)
    photo = await upload(client, h, pid, PNG, "现场.png")
    ok(
        await client.post(
            f"{API}/projects/{pid}/progress", headers=h, json={"text": "楼道灯已安装完毕。", "photo_ids": [photo["id"]]}
        ),
        201,
    )
    ok(
        await client.post(
            f"{API}/projects/{pid}/expenditures",
            headers=h,
            json={
                "budget_line": 1,
                "payee": "深圳市明亮照明器材有限公司",
                "amount_fen": 123_456,
                "invoice_no": "44030099",
                "spent_on": today(utcnow()).isoformat(),
            },
        ),
        201,
    )
    page = await client.get(f"/board/projects/{pid}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for text in (
        "彩田村小区居民志愿队",
        "楼道灯已安装完毕。",
        f"/api/v1/public/progress-photos/{photo['id']}",
        "1,234.56 元",
        "44030099",
        "采购灯具",
    ):
        assert text in page.text
    assert (await client.get("/board/projects/not-a-uuid")).status_code == 404
