"""Real concurrency on PostgreSQL: racing duplicate votes and sign-ins leave exactly one row each."""

import asyncio

import pytest

from app.deliberation.models import MeetingSignIn, MinutesItem, MotionVote
from tests.deliberation.helpers import add_motion, add_roster, decide, open_meeting
from tests.deliberation.helpers import vote as cast
from tests.programmes.helpers import API
from tests.proposals.helpers import count

pytestmark = pytest.mark.postgres_only


async def test_racing_duplicate_votes_and_sign_ins(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    m = await open_meeting(client, h, a1, reps[:2])
    motion = await add_motion(client, h, m["id"], title="议题")
    results = await asyncio.gather(*(cast(client, h, motion["id"], reps[0], "for") for _ in range(6)))
    assert sorted(r.status_code for r in results) == [201] + [409] * 5
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"already_voted"}
    assert await count(session, MotionVote) == 1
    sign = [
        client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": reps[2]})
        for _ in range(6)
    ]
    results = await asyncio.gather(*sign)
    assert sorted(r.status_code for r in results) == [201] + [409] * 5
    assert await count(session, MeetingSignIn) == 3


async def test_racing_decisions_decide_once(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 3)
    m = await open_meeting(client, h, a1, reps)
    motion = await add_motion(client, h, m["id"], title="议题")
    for rep in reps:
        assert (await cast(client, h, motion["id"], rep, "for")).status_code == 201
    results = await asyncio.gather(*(decide(client, h, motion["id"]) for _ in range(4)))
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    assert await count(session, MinutesItem) == 1
