"""Arrange a confirmed project through the API: voted, noticed, concluded, money received, confirmed."""

from tests.notices.helpers import item_numbered, published, shift
from tests.programmes.helpers import API, funds_in, ok


async def confirmed_project(client, session, app, pw) -> dict:
    """Project 2 (10,000 yuan) of the standard round, confirmed with its budget committed; its notice item."""
    h = pw.h["staff_a1"]
    notice, _, _ = await published(client, session, app, pw)
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    item = item_numbered(notice, 2)
    ok(
        await client.post(
            f"{API}/notice-items/{item['id']}/confirmation", headers=h, json={"entry_date": "2025-06-01"}
        ),
        201,
    )
    return item


# Money moves in the programme's year (2025), so these projects start and report then.
PLAN_2025 = {
    "implementer_kind": "resident_team",
    "implementer_name": "彩田村小区居民志愿队",
    "started_on": "2025-06-02",
    "milestones": [{"title": "采购灯具", "due_on": "2025-07-01"}, {"title": "安装完成", "due_on": "2025-08-01"}],
}


async def started_project(client, session, app, pw, **over) -> dict:
    """Project 2 (budget 1,000,000 fen) confirmed and started on 2025-06-02 with two milestones; its view."""
    item = await confirmed_project(client, session, app, pw)
    return ok(
        await client.post(
            f"{API}/projects/{item['proposal_id']}/implementation", headers=pw.h["staff_a1"], json={**PLAN_2025, **over}
        ),
        201,
    )


async def milestones_done(client, h, project: dict, *days: str) -> None:
    """Mark the project's milestones done, in order, on these days."""
    for milestone, day in zip(project["milestones"], days, strict=False):
        ok(await client.post(f"{API}/milestones/{milestone['id']}/done", headers=h, json={"done_on": day}))


def instalment(n: int, **over) -> dict:
    """A disbursement of instalment n paid in 2025."""
    return {"instalment": n, "paid_on": "2025-09-01", **over}


def acceptance(**over) -> dict:
    """An acceptance the representatives pass with 90% of 50 residents satisfied."""
    return {
        "held_on": "2025-09-15",
        "representatives": ["张三", "李四", "王五"],
        "representatives_passed": True,
        "representatives_opinion": "灯具安装到位，运行正常。",
        "survey": {"respondents": 50, "satisfied": 45},
        **over,
    }
