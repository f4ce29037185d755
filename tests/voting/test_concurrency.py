"""Races on PostgreSQL: one voter casting many times at once, a close racing the last ballots, two rounds set up at
once on money that fits one."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.voting.models import Ballot, BallotHistory, VotingRound
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
    ok(
        await import_roll(
            client, h, pw.tree.community_a1.id, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(phones)])
        )
    )
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    entries = ok(
        await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h, params={"limit": 200})
    )["items"]
    await end_window(session, rnd["id"])  # paper ballots may still be entered until the count

    def paper(entry_id):
        return client.post(
            f"{API}/voting/rounds/{rnd['id']}/paper-ballots",
            headers=h,
            json={"roll_entry_id": entry_id, "choices": [1]},
        )

    tasks = (
        [paper(e["id"]) for e in entries[:15]]
        + [client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h)]
        + [paper(e["id"]) for e in entries[15:]]
    )
    responses = await asyncio.gather(*tasks)
    close = responses[15]
    assert close.status_code == 200, close.text
    acknowledged = sum(1 for r in responses[:15] + responses[16:] if r.status_code == 201)
    refused = [r for r in responses[:15] + responses[16:] if r.status_code != 201]
    assert all(r.status_code == 409 and r.json()["code"] == "round_closed" for r in refused)
    assert close.json()["ballots_counted"] == acknowledged
    assert await session.scalar(select(func.count()).select_from(Ballot)) == acknowledged


async def test_two_rounds_set_up_at_once_never_share_the_money(client, session, pw):
    """The pilot has 30,000 元 (planned); two rounds asking 20,000 each, or both asking for everything, arrive
    together: exactly one is set up each time, and cancelling it lets the next pair race again."""
    h, pilot = pw.h["staff_a1"], pw.world.pilot_a1["id"]
    sets = [await shortlist(client, pw, [500_000]), await shortlist(client, pw, [600_000])]
    for attempt in range(6):
        budget = {"budget_fen": 2_000_000} if attempt % 2 else {}
        responses = await asyncio.gather(
            *(create_round(client, h, pilot, s, title=f"第{i + 1}组", **budget) for i, s in enumerate(sets))
        )
        won = [r for r in responses if r.status_code == 201]
        lost = [r for r in responses if r.status_code != 201]
        assert len(won) == 1 and len(lost) == 1, [r.text for r in responses]
        refused = lost[0].json()
        assert lost[0].status_code == 409
        assert refused["code"] == ("budget_reserved_by_other_rounds" if budget else "no_funds"), refused
        assert refused["other_rounds"] == [
            {
                "round_id": won[0].json()["id"],
                "title": won[0].json()["title"],
                "status": "scheduled",
                "held_fen": won[0].json()["budget_fen"],
            }
        ]
        bal = ok(await client.get(f"{API}/pilots/{pilot}/balance", headers=pw.h["district"]))
        assert bal["reserved_by_rounds_fen"] == won[0].json()["budget_fen"] <= bal["uncommitted_fen"] == 3_000_000
        ok(
            await client.post(
                f"{API}/voting/rounds/{won[0].json()['id']}/cancel", headers=h, json={"reason": "重新安排"}
            )
        )
    assert await session.scalar(select(func.count()).select_from(VotingRound)) == 6
