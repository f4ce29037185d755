"""Communities with no valid representative meeting in a quarter."""

from datetime import datetime

from app.deliberation.rules import SHANGHAI, quarter_of
from tests.deliberation.helpers import add_roster, close, open_meeting
from tests.programmes.helpers import API, ok, problem

URL = f"{API}/deliberation/reports/meeting-gaps"


async def test_gaps_this_quarter(client, pw):
    year, quarter = quarter_of(datetime.now(SHANGHAI).date())
    params = {"year": year, "quarter": quarter}
    t = pw.tree
    # a1 holds a quorate meeting; a2 holds one without quorum, which does not count.
    reps_a1 = await add_roster(client, pw.h["staff_a1"], t.community_a1.id, 3)
    m = await open_meeting(client, pw.h["staff_a1"], t.community_a1.id, reps_a1[:2])
    ok(await close(client, pw.h["staff_a1"], m["id"]))
    reps_a2 = await add_roster(client, pw.h["staff_a2"], t.community_a2.id, 3)
    m2 = await open_meeting(client, pw.h["staff_a2"], t.community_a2.id, reps_a2[:1])
    assert ok(await close(client, pw.h["staff_a2"], m2["id"]))["quorate"] is False

    report = ok(await client.get(URL, headers=pw.h["district"], params=params))
    assert (report["year"], report["quarter"]) == (year, quarter)
    names = {i["name"] for i in report["items"]}
    assert names == {"景华社区", "香岭社区", "侨香社区"} and report["total"] == 3
    street = ok(await client.get(URL, headers=pw.h["street_a"], params=params))
    assert [i["name"] for i in street["items"]] == ["景华社区"]
    assert street["items"][0]["last_meeting_at"] is None
    assert ok(await client.get(URL, headers=pw.h["staff_a1"], params=params))["total"] == 0
    assert ok(await client.get(URL, headers=pw.h["other_district"], params=params))["total"] == 0

    # The next quarter: a1's meeting is history, shown as its last one.
    nxt = {"year": year + 1, "quarter": 1} if quarter == 4 else {"year": year, "quarter": quarter + 1}
    later = ok(await client.get(URL, headers=pw.h["street_a"], params=nxt))
    last = {i["name"]: i["last_meeting_at"] for i in later["items"]}
    assert set(last) == {"彩田社区", "景华社区"} and last["彩田社区"] is not None and last["景华社区"] is None


async def test_default_quarter_and_bad_params(client, pw):
    report = ok(await client.get(URL, headers=pw.h["district"]))
    assert report["total"] == 4 and report["quarter"] in (1, 2, 3, 4)
    problem(await client.get(URL, headers=pw.h["district"], params={"year": 2026}), 422, "year_and_quarter")
    problem(
        await client.get(URL, headers=pw.h["district"], params={"year": 2026, "quarter": 5}), 422, "validation_error"
    )
    problem(await client.get(URL, headers=pw.h["resident"]), 403, "role_forbidden")
