"""Administrator calendars for years chinese-calendar lacks, the weekday fallback, and meeting notices."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.notices.models import WorkCalendarYear
from tests.deliberation.helpers import add_roster, announce, close
from tests.notices.helpers import closed_round, local_today
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count


async def test_calendar_upload_rejects_impossible_dates_and_changes_nothing(client, session, pw):
    h = pw.h["district"]
    body = problem(
        await client.put(
            f"{API}/calendars/2031",
            headers=h,
            json={"holidays": ["2031-02-30", "2032-01-01", "2031-10-01"], "workdays": ["2031-10-01"]},
        ),
        422,
        "calendar_invalid",
    )
    assert len(body["errors"]) == 3
    problem(
        await client.put(f"{API}/calendars/2025", headers=h, json={"holidays": [], "workdays": []}),
        409,
        "official_year",
    )
    problem(
        await client.put(f"{API}/calendars/1999", headers=h, json={"holidays": [], "workdays": []}),
        422,
        "validation_error",
    )
    problem(
        await client.put(f"{API}/calendars/2031", headers=pw.h["staff_a1"], json={"holidays": [], "workdays": []}),
        403,
        "role_forbidden",
    )
    assert await count(session, WorkCalendarYear) == 0
    saved = ok(
        await client.put(
            f"{API}/calendars/2031",
            headers=h,
            json={
                "holidays": ["2031-01-01", "2031-01-02"],
                "workdays": ["2031-01-04"],
                "source": "国办发明电〔2030〕7号",
            },
        )
    )
    assert saved["holidays"] == ["2031-01-01", "2031-01-02"]
    assert ok(await client.get(f"{API}/calendars/2031", headers=pw.h["staff_a1"]))["workdays"] == ["2031-01-04"]


async def test_window_in_an_uncovered_year_says_it_assumed_weekdays_until_a_calendar_exists(client, session, app, pw):
    rnd, _ = await closed_round(client, session, app, pw)
    start = date(2031, 12, 29)  # a Monday; the window runs into 2032, which nobody has a calendar for
    notice = ok(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json={"starts_on": start.isoformat()}
        ),
        201,
    )
    assert notice["assumed_weekdays"] is True and "周一至周五" in notice["calendar_note"]
    assert notice["ends_on"] == "2032-01-02" and notice["phase"] == "upcoming"


async def test_window_follows_the_administrator_calendar(client, session, app, pw):
    for year, holidays in ((2031, []), (2032, ["2032-01-01", "2032-01-02"])):
        ok(
            await client.put(
                f"{API}/calendars/{year}", headers=pw.h["district"], json={"holidays": holidays, "workdays": []}
            )
        )
    rnd, _ = await closed_round(client, session, app, pw)
    notice = ok(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json={"starts_on": "2031-12-29"}
        ),
        201,
    )
    # Mon 29, Tue 30, Wed 31, then 1 and 2 January are days off: Mon 5 and Tue 6 complete the five.
    assert notice["ends_on"] == "2032-01-06" and notice["assumed_weekdays"] is False
    assert notice["calendar_note"] is None


async def test_a_notice_cannot_start_in_the_past(client, session, app, pw):
    rnd, _ = await closed_round(client, session, app, pw)
    problem(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/notice",
            headers=pw.h["staff_a1"],
            json={"starts_on": (local_today() - timedelta(days=1)).isoformat()},
        ),
        422,
        "notice_in_past",
    )


async def test_meeting_notice_runs_until_the_meeting(client, pw):
    h = pw.h["staff_a1"]
    when = datetime.now(UTC) + timedelta(days=6)
    meeting = await announce(client, h, pw.tree.community_a1.id, scheduled_at=when.isoformat())
    notice = ok(await client.post(f"{API}/meetings/{meeting['id']}/notice", headers=h, json={}), 201)
    assert notice["kind"] == "meeting" and notice["items"] == []
    assert notice["starts_on"] == local_today().isoformat()
    assert notice["ends_on"] == when.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert meeting["place"] in notice["body"] and meeting["host"] in notice["body"]
    listed = ok(await client.get(f"{API}/public/notices", params={"community_id": str(pw.tree.community_a1.id)}))
    assert listed["total"] == 1
    problem(
        await client.post(f"{API}/meetings/{meeting['id']}/notice", headers=pw.h["staff_b1"], json={}),
        404,
        "meeting_not_found",
    )


async def test_meeting_notice_ends_the_day_the_meeting_is_held(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    when = datetime.now(UTC) + timedelta(days=6)
    meeting = await announce(client, h, a1, scheduled_at=when.isoformat())
    notice = ok(await client.post(f"{API}/meetings/{meeting['id']}/notice", headers=h, json={}), 201)
    assert notice["phase"] == "open" and notice["status"] == "published"
    board = await client.get("/board", params={"current": "1"})
    assert board.status_code == 200 and notice["title"] in board.text
    # Held early (the representatives agreed to meet sooner): opened, signed in and closed today.
    reps = await add_roster(client, h, a1, 3)
    ok(await client.post(f"{API}/meetings/{meeting['id']}/open", headers=h))
    for rep in reps:
        ok(
            await client.post(f"{API}/meetings/{meeting['id']}/sign-ins", headers=h, json={"representative_id": rep}),
            201,
        )
    ok(await close(client, h, meeting["id"]))
    ended = ok(await client.get(f"{API}/public/notices/{notice['id']}"))
    assert ended["ends_on"] == local_today().isoformat() and ended["window_days"] == 1
    assert (ended["status"], ended["phase"]) == ("concluded", "concluded")
    assert ended["concluded_at"] is not None
    current = ok(await client.get(f"{API}/public/notices", params={"community_id": str(a1), "current": "true"}))
    assert current["total"] == 0
    past = ok(await client.get(f"{API}/public/notices", params={"community_id": str(a1), "current": "false"}))
    assert [n["id"] for n in past["items"]] == [notice["id"]]
    board = await client.get("/board", params={"current": "1"})
    assert board.status_code == 200 and notice["title"] not in board.text
    page = await client.get(f"/board/notices/{notice['id']}")
    assert page.status_code == 200 and "公示结束" in page.text and "公示中" not in page.text
    assert await audit_count(session, "notice.conclude") == 1
    # Closing is final; the notice stays concluded and is not concluded twice.
    problem(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h), 409, "notice_concluded")
