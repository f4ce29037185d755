"""Events that reach staff and objectors: an objection waits, its reply reaches its author, a milestone is
overdue (found by the worker's sweep, raised once), an evaluator is given projects."""

from sqlalchemy import update

from app.implementation.models import Implementation
from app.notifications.models import NotificationEvent
from tests.evaluation.helpers import assign, make_eworld
from tests.implementation.helpers import milestones_done, started_project
from tests.notices.helpers import item_numbered, object_to, published
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import count

ME = f"{API}/me/notifications"


async def _kinds(client, h, kind: str) -> list[dict]:
    return [n for n in ok(await client.get(ME, headers=h, params={"limit": 200}))["items"] if n["kind"] == kind]


async def test_an_objection_reaches_the_staff_and_its_reply_the_objector(client, session, app, pw, work):
    notice, _, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 2)
    filed = ok(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            headers=pw.h["resident2"],
            json={"item_id": item["id"], "reason": "该项目与物业维修重叠，建议核查。"},
        ),
        201,
    )
    anonymous = ok(await object_to(client, notice["id"], item["id"]), 201)
    await work()
    waiting = await _kinds(client, pw.h["staff_a1"], "objection_waiting")
    assert len(waiting) == 2 and filed["tracking_code"] in str(waiting) and item["title"] in waiting[0]["body"]
    assert await _kinds(client, pw.h["staff_a2"], "objection_waiting") == []  # another community's staff
    for objection in (filed, anonymous):
        ok(
            await client.post(
                f"{API}/objections/{objection['id']}/decision",
                headers=pw.h["staff_a1"],
                json={"outcome": "dismissed", "reply": "经核查，该项目不属于物业维修责任范围。"},
            )
        )
    await work()
    [answered] = await _kinds(client, pw.h["resident2"], "objection_answered")
    assert answered["title"] == "您的异议已答复" and "不成立" in answered["body"] and "经核查" in answered["body"]
    # The anonymous objector follows theirs by tracking code: no event names a person for it.
    assert await count(session, NotificationEvent, NotificationEvent.kind == "objection_answered") == 1


async def test_an_overdue_milestone_is_raised_once_to_the_community_staff(client, session, app, pw, work):
    project = await started_project(client, session, app, pw)
    # Half on agreement, half on acceptance (a services plan, 服务类: the default pays all on acceptance).
    await session.execute(
        update(Implementation).values(
            instalment_plan=[{"share_pct": 50, "gate": "agreement"}, {"share_pct": 50, "gate": "acceptance"}]
        )
    )
    await session.commit()
    await milestones_done(client, pw.h["staff_a1"], project, "2025-06-20")  # the first on time, the second not
    await work()
    await work()
    overdue = await _kinds(client, pw.h["staff_a1"], "milestone_overdue")
    assert len(overdue) == 1 and "安装完成" in overdue[0]["body"] and "2025-08-01" in overdue[0]["body"]
    assert await count(session, NotificationEvent, NotificationEvent.kind == "milestone_overdue") == 1
    # The first instalment may be paid: finance over the project hears of it, once; the second waits.
    due = await _kinds(client, pw.h["finance_a"], "instalment_due")
    assert len(due) == 1 and "第1期" in due[0]["body"] and "元" in due[0]["body"]
    assert len(await _kinds(client, pw.h["finance"], "instalment_due")) == 1  # the district's finance too


async def test_an_evaluator_hears_of_projects_given_to_them(client, session, app, pw, work):
    ew = await make_eworld(client, session, app, pw)
    ok(await assign(client, ew, [ew.projects["p2"]], evaluator=ew.users["expert"]), 201)
    await work()
    [told] = await _kinds(client, ew.h["expert"], "evaluator_assigned")
    assert "1 个项目" in told["body"] and ew.campaign["title"] in told["body"]
    assert await _kinds(client, ew.h["expert2"], "evaluator_assigned") == []
