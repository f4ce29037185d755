"""The close moves its proposals without loading them; one found out of 居民投票中 is moved or refused as any
transition is."""

import uuid

from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.proposals.models import Proposal
from app.voting.models import VotingRound
from tests.programmes.helpers import API, ok, problem
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONES = [f"1390000{i:04d}" for i in range(1, 4)]


async def _ended_round(client, session, app, pw) -> tuple[list[dict], dict]:
    """Three proposals (12,000 / 10,000 / 20,000 yuan) voted 1+2, 1, 3: 1 and 2 fit the 30,000 yuan, 3 does not."""
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [1_200_000, 1_000_000, 2_000_000])
    ok(await import_roll(client, h, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    for phone, choices in zip(PHONES, [[1, 2], [1], [3]], strict=True):
        ok(await cast(client, await resident(session, app, pw.tree.community_a1, phone), rnd["id"], choices), 201)
    await end_window(session, rnd["id"])
    return proposals, rnd


async def _state(session, proposal: dict) -> str:
    state = await session.scalar(select(Proposal.state).where(Proposal.id == uuid.UUID(proposal["id"])))
    await session.commit()
    return state.value


async def _set_state(session, proposal: dict, state: str) -> None:
    await session.execute(update(Proposal).where(Proposal.id == uuid.UUID(proposal["id"])).values(state=state))
    await session.commit()


async def test_the_close_records_each_move_with_its_votes_then_its_own_event(client, session, app, pw):
    proposals, rnd = await _ended_round(client, session, app, pw)
    ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["staff_a1"]))
    assert [await _state(session, p) for p in proposals] == ["selected", "selected", "not_selected"]
    events = (
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["proposal.transition", "voting_round.close"]))
            .order_by(AuditEvent.occurred_at, AuditEvent.ordinal)
        )
    ).all()
    moves = [e for e in events if e.action == "proposal.transition" and e.after.get("reason") == "居民投票结果"]
    assert [(e.entity_id, e.before, e.after) for e in moves] == [
        (
            p["id"],
            {"state": "in_vote"},
            {
                "state": state,
                "reason": "居民投票结果",
                "round_id": rnd["id"],
                "number": n,
                "votes": votes,
                "process": "voting",
            },
        )
        for p, n, state, votes in zip(
            proposals, (1, 2, 3), ("selected", "selected", "not_selected"), (2, 1, 1), strict=True
        )
    ]
    paths = dict((await session.execute(select(Proposal.id, Proposal.region_path))).all())
    assert all(e.region_path == paths[uuid.UUID(e.entity_id)] for e in moves)
    assert events[-1].action == "voting_round.close" and events[-1].ordinal == moves[-1].ordinal + 1


async def test_a_proposal_out_of_the_vote_is_refused_and_nothing_moves(client, session, app, pw):
    proposals, rnd = await _ended_round(client, session, app, pw)
    await _set_state(session, proposals[1], "withdrawn")
    body = problem(
        await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["staff_a1"]),
        409,
        "transition_not_allowed",
    )
    assert (body["from"], body["to"]) == ("withdrawn", "selected")
    assert [await _state(session, p) for p in proposals] == ["in_vote", "withdrawn", "in_vote"]
    status = await session.scalar(select(VotingRound.status).where(VotingRound.id == uuid.UUID(rnd["id"])))
    assert status.value != "closed"


async def test_a_proposal_the_lifecycle_lets_the_system_move_is_moved_from_where_it_is(client, session, app, pw):
    proposals, rnd = await _ended_round(client, session, app, pw)
    await _set_state(session, proposals[0], "not_selected")  # the system may lift 未入选 to 入选
    ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["staff_a1"]))
    assert [await _state(session, p) for p in proposals] == ["selected", "selected", "not_selected"]
    [lifted] = [
        e
        for e in await session.scalars(select(AuditEvent).where(AuditEvent.entity_id == proposals[0]["id"]))
        if e.after.get("reason") == "居民投票结果"
    ]
    assert lifted.before == {"state": "not_selected"} and lifted.after["votes"] == 2
