"""Every meeting and council endpoint: outsiders get 404, readers who do not organise 403, anonymous 401."""

import pytest

from tests.deliberation.helpers import add_motion, add_roster, announce, open_meeting
from tests.programmes.helpers import API, ok, problem


@pytest.fixture
async def setting(client, pw):
    """A meeting of community a1 in session with one item, and an announced council."""
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    m = await open_meeting(client, h, a1, reps[:2])
    motion = await add_motion(client, h, m["id"], title="议题")
    council = ok(
        await client.post(
            f"{API}/communities/{a1}/councils",
            headers=h,
            json={
                "topic": "加装电梯议事会",
                "scheduled_at": "2099-05-01T09:00:00+08:00",
                "place": "活动室",
                "host": "李华",
                "seats": 5,
            },
        ),
        201,
    )
    return {"a1": a1, "meeting": m["id"], "motion": motion["id"], "reps": reps, "council": council["id"]}


def reads(s) -> list[str]:
    return [
        f"{API}/communities/{s['a1']}/representatives",
        f"{API}/meetings/{s['meeting']}",
        f"{API}/meetings/{s['meeting']}/quorum",
        f"{API}/meetings/{s['meeting']}/sign-ins",
        f"{API}/meetings/{s['meeting']}/motions",
        f"{API}/meetings/{s['meeting']}/minutes",
        f"{API}/motions/{s['motion']}/votes",
        f"{API}/councils/{s['council']}",
        f"{API}/councils/{s['council']}/participants",
    ]


def writes(s) -> list[tuple[str, dict]]:
    return [
        (f"{API}/communities/{s['a1']}/representatives", {"name": "新人"}),
        (f"{API}/representatives/{s['reps'][2]}/retire", {}),
        (
            f"{API}/communities/{s['a1']}/meetings",
            {"topic": "t", "scheduled_at": "2099-01-01T09:00:00+08:00", "place": "p", "host": "h", "participants": "x"},
        ),
        (f"{API}/meetings/{s['meeting']}/sign-ins", {"representative_id": s["reps"][2]}),
        (f"{API}/meetings/{s['meeting']}/motions", {"title": "x"}),
        (f"{API}/motions/{s['motion']}/decision", {"discussion": "x"}),
        (f"{API}/meetings/{s['meeting']}/close", {}),
        (f"{API}/meetings/{s['meeting']}/cancel", {"reason": "x"}),
        (f"{API}/meetings/{s['meeting']}/open", {}),
        (
            f"{API}/communities/{s['a1']}/councils",
            {"topic": "t", "scheduled_at": "2099-01-01T09:00:00+08:00", "place": "p", "host": "h", "seats": 3},
        ),
        (f"{API}/councils/{s['council']}/invitations", {"name": "王"}),
        (f"{API}/councils/{s['council']}/selection", {}),
    ]


@pytest.mark.parametrize("who", ["staff_b1", "staff_a2", "street_b", "other_district"])
async def test_outside_the_region_is_404(client, pw, setting, who):
    for url in reads(setting):
        r = await client.get(url, headers=pw.h[who])
        assert r.status_code == 404, (who, url, r.text)
    # A district admin of another district does not organise meetings at all: the role gate answers first.
    expected = 403 if who == "other_district" else 404
    for url, body in writes(setting):
        r = await client.post(url, headers=pw.h[who], json=body)
        assert r.status_code == expected, (who, url, r.text)
    assert ok(await client.get(f"{API}/meetings", headers=pw.h[who]))["total"] == 0
    assert ok(await client.get(f"{API}/councils", headers=pw.h[who]))["total"] == 0


@pytest.mark.parametrize("who", ["supervisor", "district"])
async def test_readers_read_but_do_not_organise(client, pw, setting, who):
    for url in reads(setting):
        assert (await client.get(url, headers=pw.h[who])).status_code == 200, url
    for url, body in writes(setting):
        problem(await client.post(url, headers=pw.h[who], json=body), 403, "role_forbidden")


@pytest.mark.parametrize("who", ["resident", "finance", "evaluator"])
async def test_other_roles_are_403(client, pw, setting, who):
    for url in reads(setting):
        problem(await client.get(url, headers=pw.h[who]), 403, "role_forbidden")


async def test_anonymous_is_401(client, setting):
    for url in reads(setting):
        assert (await client.get(url)).status_code == 401
    for url, body in writes(setting):
        assert (await client.post(url, json=body)).status_code == 401


async def test_street_admin_runs_meetings_of_its_communities(client, pw, setting):
    h = pw.h["street_a"]
    ok(
        await client.post(
            f"{API}/meetings/{setting['meeting']}/sign-ins", headers=h, json={"representative_id": setting["reps"][2]}
        ),
        201,
    )
    m = await announce(client, h, pw.tree.community_a2.id)
    assert m["community_id"] == str(pw.tree.community_a2.id)
    problem(
        await client.post(
            f"{API}/communities/{pw.tree.community_b1.id}/meetings",
            headers=h,
            json={
                "topic": "t",
                "scheduled_at": "2099-01-01T09:00:00+08:00",
                "place": "p",
                "host": "h",
                "participants": "x",
            },
        ),
        404,
        "community_not_found",
    )
