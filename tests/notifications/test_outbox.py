"""The outbox: events are written with the change that causes them, expanded by the worker, read in the inbox."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.core import clock
from app.notifications.models import DeliveryStatus, EventStatus, Notification, NotificationEvent
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count, move, submitted
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist, window

ME = f"{API}/me/notifications"


async def _round(client, session, app, pw, **over):
    """A round of community a1 whose roll holds 13800000001 (a resident account) and not 13800000002."""
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 400_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([("13800000001", "张三", "", "")])))
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    stranger = await resident(session, app, pw.tree.community_a1, "13800000002")
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, **over), 201)
    return rnd, voter, stranger


async def test_an_open_round_reaches_its_roll_and_nobody_else(client, session, app, pw, work):
    rnd, voter, stranger = await _round(client, session, app, pw)
    kinds = set(
        await session.scalars(
            select(NotificationEvent.kind).where(NotificationEvent.subject_id == uuid.UUID(rnd["id"]))
        )
    )
    assert kinds == {"round_opened", "round_closing"}  # written by the round's own transaction
    await work()
    mine = ok(await client.get(ME, headers=voter.h))
    opened = [n for n in mine["items"] if n["kind"] == "round_opened"]
    assert len(opened) == 1 and opened[0]["title"] == "居民投票已开始" and rnd["title"] in opened[0]["body"]
    assert opened[0]["read_at"] is None
    assert not [n for n in ok(await client.get(ME, headers=stranger.h))["items"] if n["kind"] == "round_opened"]

    await work()  # a second pass delivers nothing twice
    assert ok(await client.get(ME, headers=voter.h))["total"] == mine["total"]
    read = ok(await client.post(f"{ME}/{opened[0]['id']}/read", headers=voter.h))
    again = ok(await client.post(f"{ME}/{opened[0]['id']}/read", headers=voter.h))
    assert read["read_at"] is not None and again["read_at"] == read["read_at"]
    problem(await client.post(f"{ME}/{opened[0]['id']}/read", headers=stranger.h), 404, "notification_not_found")
    unread = ok(await client.get(ME, headers=voter.h, params={"unread": "true"}))
    assert opened[0]["id"] not in [n["id"] for n in unread["items"]]
    ok(await client.post(f"{ME}/read-all", headers=voter.h))
    assert ok(await client.get(ME, headers=voter.h, params={"unread": "true"}))["total"] == 0


async def test_the_reminder_waits_for_its_time_and_skips_who_voted(client, session, app, pw, work):
    rnd, _, _ = await _round(client, session, app, pw, **window(lasts=timedelta(days=3)))
    roll = roll_csv([("13800000003", "李四", "", "")])
    ok(await import_roll(client, pw.h["staff_a1"], pw.tree.community_a1.id, roll))
    voted = await resident(session, app, pw.tree.community_a1, "13800000003")
    ok(await cast(client, voted, rnd["id"], [1]), 201)
    await work()
    closing = select(Notification).where(Notification.kind == "round_closing", Notification.channel == "inbox")
    assert list(await session.scalars(closing)) == []
    clock.advance(timedelta(days=2, hours=1))  # within a day of the close
    await work()
    rows = list(await session.scalars(closing))
    assert len(rows) == 1 and "截止" in rows[0].body and rows[0].status == DeliveryStatus.sent


async def test_an_upcoming_round_waits_and_a_cancelled_one_says_nothing(client, session, app, pw, work):
    rnd, _, _ = await _round(client, session, app, pw, **window(opens_in=timedelta(hours=2)))
    await work()
    assert await count(session, Notification, Notification.kind == "round_opened") == 0
    ok(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/cancel", headers=pw.h["staff_a1"], json={"reason": "场地调整，改期举行"}
        )
    )
    clock.advance(timedelta(hours=3))
    await work()
    assert await count(session, Notification, Notification.kind == "round_opened") == 0
    dropped = await session.scalar(
        select(NotificationEvent).where(
            NotificationEvent.subject_id == uuid.UUID(rnd["id"]), NotificationEvent.kind == "round_opened"
        )
    )
    await session.refresh(dropped)
    assert dropped.status == EventStatus.dropped and "取消" in dropped.drop_reason


async def test_the_proposer_hears_of_screening_and_rejection_with_its_reason(client, session, app, pw, work):
    p = await submitted(client, pw)
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    await work()
    items = ok(await client.get(ME, headers=pw.h["resident"]))["items"]
    told = [n["body"] for n in items if n["kind"] == "proposal_moved"]
    assert told == [f"您的提案“{p['title']}”状态变为：初审通过。"]
    ok(await move(client, pw.h["staff_a1"], p["id"], "under_survey"))
    ok(await move(client, pw.h["staff_a1"], p["id"], "in_deliberation"))
    await work()
    # Steps in between are not worth a message; only the ones that decide the proposal's fate are.
    assert len(ok(await client.get(ME, headers=pw.h["resident"]))["items"]) == 1
    assert ok(await client.get(ME, headers=pw.h["resident2"]))["total"] == 0


async def test_a_refused_change_writes_no_event(client, session, app, pw, work):
    p = await submitted(client, pw)
    problem(await move(client, pw.h["staff_a1"], p["id"], "selected"), 409, "transition_not_allowed")
    assert await count(session, NotificationEvent) == 0


async def test_a_kind_stopped_is_recorded_as_skipped_and_never_shown(client, session, app, pw, work):
    h = pw.h["resident"]
    prefs = ok(await client.get(f"{API}/me/notification-preferences", headers=h))
    assert {p["kind"]: p["channels"] for p in prefs}["proposal_moved"] == ["inbox", "wechat"]
    stopped = ok(
        await client.put(f"{API}/me/notification-preferences/proposal_moved", headers=h, json={"channels": []})
    )
    assert stopped["channels"] == [] and stopped["default"] is False
    problem(
        await client.put(
            f"{API}/me/notification-preferences/proposal_moved", headers=h, json={"channels": ["sms", "sms"]}
        ),
        422,
        "channel_listed_twice",
    )
    problem(
        await client.put(f"{API}/me/notification-preferences/proposal_moved", headers=h, json={"channels": ["fax"]}),
        422,
        "validation_error",
    )
    p = await submitted(client, pw)
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    await work()
    assert ok(await client.get(ME, headers=h))["total"] == 0
    rows = list(await session.scalars(select(Notification)))
    assert rows and {(r.status, r.skip_reason) for r in rows} == {(DeliveryStatus.skipped, "opted_out")}


async def test_an_api_token_has_no_inbox(client, session, app, pw):
    from app.audit.service import SYSTEM
    from app.auth.models import OrganisationKind
    from app.auth.scopes import Scope
    from app.auth.tokens_service import issue_api_token
    from app.common.models import utcnow
    from tests.factories import add_organisation

    org = await add_organisation(session, "评估机构", OrganisationKind.assessor)
    _, secret = await issue_api_token(
        session,
        app.state.settings,
        org.id,
        "t",
        [Scope.assessments_read.value],
        utcnow() + timedelta(days=1),
        None,
        SYSTEM,
    )
    await session.commit()
    problem(await client.get(ME, headers={"Authorization": f"Bearer {secret}"}), 400, "not_a_person")
