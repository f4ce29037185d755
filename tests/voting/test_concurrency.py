"""Races on PostgreSQL: one voter casting many times at once, and a close racing the last ballots."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.voting.models import Ballot, BallotHistory
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

pytestmark = pytest.mark.postgres_only


async def test_concurrent_casts_by_one_voter_leave_one_ballot(client, session, app, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 600_000, 700_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([("13800000001", "张三", "", "")])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    responses = await asyncio.gather(*(cast(client, voter, rnd["id"], [1 + i % 3]) for i in range(12)))
    assert [r.status_code for r in responses] == [201] * 12
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(1, 13))
    assert await session.scalar(select(func.count()).select_from(Ballot)) == 1
    assert await session.scalar(select(func.count()).select_from(BallotHistory)) == 11
    last = max(responses, key=lambda r: r.json()["version"]).json()
    assert (await session.scalar(select(Ballot.choices))) == last["choices"]


async def test_close_counts_exactly_the_acknowledged_paper_ballots(client, session, app, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 600_000])
    phones = [f"1380000{i:04d}" for i in range(30)]
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([(p, f"居民{i}", "", "")
                                                                       for i, p in enumerate(phones)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    entries = ok(await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h,
                                  params={"limit": 200}))["items"]
    await end_window(session, rnd["id"])  # paper ballots may still be entered until the count

    def paper(entry_id):
        return client.post(f"{API}/voting/rounds/{rnd['id']}/paper-ballots", headers=h,
                           json={"roll_entry_id": entry_id, "choices": [1]})

    tasks = [paper(e["id"]) for e in entries[:15]] + [client.post(f"{API}/voting/rounds/{rnd['id']}/close",
                                                                  headers=h)] + [paper(e["id"]) for e in entries[15:]]
    responses = await asyncio.gather(*tasks)
    close = responses[15]
    assert close.status_code == 200, close.text
    acknowledged = sum(1 for r in responses[:15] + responses[16:] if r.status_code == 201)
    refused = [r for r in responses[:15] + responses[16:] if r.status_code != 201]
    assert all(r.status_code == 409 and r.json()["code"] == "round_closed" for r in refused)
    assert close.json()["ballots_counted"] == acknowledged
    assert await session.scalar(select(func.count()).select_from(Ballot)) == acknowledged
