"""The first-ballot shortcut (app.voting.first_ballot): on PostgreSQL it takes a plain first ballot before
FastAPI and stores what the route would store; every other request reaches the route untouched, with
nothing written. On SQLite it never takes a ballot. The rest of tests/voting runs through it as well."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, User
from app.idempotency.models import IdempotencyRecord
from app.voting import first_ballot, rules
from app.voting.models import Ballot, BallotHistory, RoundStatus, VoteMark, VotingRound
from tests.factories import declining_shortcut, replace_shortcut, spy_on_shortcut
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist, window


def receipt_code(answer) -> str:
    return answer.json()["receipt_code"]


ROWS = [("13800000001", "张三", "", ""), ("13800000002", "李四", "", ""), ("13800000003", "王五", "", "")]


@pytest.fixture
def taken(app) -> list[bool]:
    """For each ballot request, whether the shortcut answered it."""
    return spy_on_shortcut(app, first_ballot.PATH, first_ballot.first_ballot)


async def _round(client, pw, **over) -> dict:
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv(ROWS)))
    return ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals, **over), 201)


async def _event_of(session, answer) -> AuditEvent:
    """The audit event of the cast that got this answer."""
    return (await session.scalars(select(AuditEvent).where(AuditEvent.request_id == answer.headers["x-request-id"],
                                                           AuditEvent.action == "ballot.cast"))).one()


CAST_EVENTS = AuditEvent.action.in_(["ballot.cast", "ballot.change"])


async def test_a_plain_first_ballot_is_stored_as_the_route_stores_it(client, session, app, pw, backend, taken):
    rnd = await _round(client, pw)
    first = await resident(session, app, pw.tree.community_a1, "13800000001")
    other = await resident(session, app, pw.tree.community_a1, "13800000002")
    r = await cast(client, first, rnd["id"], [2, 1])
    assert taken == [backend == "postgres"]
    replace_shortcut(app, first_ballot.PATH, declining_shortcut)
    routed = await cast(client, other, rnd["id"], [3])
    by_route, receipt = ok(routed, 201), ok(r, 201)
    assert r.headers["content-type"] == "application/json" and r.headers["x-request-id"]
    assert r.headers["x-content-type-options"] == routed.headers["x-content-type-options"] == "nosniff"
    assert set(receipt) == set(by_route) and receipt["receipt_code"] != by_route["receipt_code"]
    assert (receipt["round_id"], receipt["channel"], receipt["version"], receipt["choices"]) == (
        rnd["id"], "online", 1, [1, 2])
    ballot = (await session.scalars(select(Ballot).where(Ballot.id == uuid.UUID(receipt["ballot_id"])))).one()
    assert (ballot.choices, ballot.choice_mask) == ([1, 2], 0b110) and len(ballot.voter_tag) == 64
    assert ballot.receipt_digest == rules.receipt_digest(receipt["receipt_code"])
    marks = {m.voter_key: m for m in (await session.scalars(select(VoteMark))).all()}
    assert len(marks) == 2
    verified = ok(await client.get(f"{API}/audit/verify", headers=pw.h["admin"]))  # seals the events first
    assert verified["ok"] and verified["pending"] == 0
    mine, theirs = await _event_of(session, r), await _event_of(session, routed)
    mark = next(m for m in marks.values() if m.cast_by == mine.actor_id)
    assert (mark.channel, mark.casts, mark.sheet_ref) == ("online", 1, None)
    assert (mine.action, mine.actor_type, mine.region_path, mine.entity_type) == (
        theirs.action, theirs.actor_type, theirs.region_path, theirs.entity_type)
    assert mine.actor_label.endswith(" (resident)")
    assert (mine.entity_type, mine.entity_id) == ("voting_round", rnd["id"])
    assert mine.after == {"roll_entry_id": str(mark.roll_entry_id), "channel": "online"}  # nothing of the ballot
    assert mine.seq is not None


async def test_everything_else_reaches_the_route_with_nothing_written(client, session, app, pw, taken):
    rnd = await _round(client, pw)
    a, b = [await resident(session, app, pw.tree.community_a1, f"1380000000{i}") for i in (1, 2)]
    stranger = await resident(session, app, pw.tree.community_a1, "13900000009")
    problem(await cast(client, a, rnd["id"], [1, 1]), 422, "duplicate_choice")
    problem(await cast(client, a, rnd["id"], [9]), 422, "unknown_project")
    problem(await cast(client, stranger, rnd["id"], [1]), 403, "not_on_roll")
    problem(await cast(client, type(a)("", "", pw.h["staff_a1"]), rnd["id"], [1]), 403, "role_forbidden")
    problem(await cast(client, a, "00000000-0000-0000-0000-000000000000", [1]), 404, "round_not_found")
    r = await client.post(f"{API}/voting/rounds/{rnd['id']}/ballots", headers={**a.h, "Content-Type": "text/plain"},
                          content=b'{"choices": [1]}')
    assert r.status_code == 422
    r = await client.post(f"{API}/voting/rounds/{rnd['id']}/ballots", headers=a.h,
                          json={"choices": [1], "voter_key": "r:someone-else"})
    assert r.status_code == 422
    assert await count(session, Ballot) == 0 and taken == [False] * 7
    ok(await cast(client, a, rnd["id"], [1]), 201)
    changed = ok(await cast(client, a, rnd["id"], [2]), 201)  # a change: the route's transaction
    assert changed["version"] == 2
    await session.execute(update(AuthSession).values(revoked_at=AuthSession.created_at))
    await session.commit()
    problem(await cast(client, b, rnd["id"], [1]), 401, "session_revoked")
    assert await count(session, Ballot) == 1
    assert taken[7:] == ([True, False, False] if app.state.engine.dialect.name == "postgresql" else [False] * 3)


async def test_an_upcoming_round_takes_no_ballot(client, session, app, pw, taken):
    rnd = await _round(client, pw, **window(opens_in=timedelta(hours=1)))
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    problem(await cast(client, voter, rnd["id"], [1]), 409, "round_not_open")
    assert taken == [False] and await count(session, Ballot) == 0


async def test_a_keyed_first_ballot_stores_its_answer_for_retries(client, session, app, pw, backend, taken):
    rnd = await _round(client, pw)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    first = await cast(client, voter, rnd["id"], [1], key="lost-answer-1")
    retry = await cast(client, voter, rnd["id"], [1], key="lost-answer-1")
    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true" and retry.content == first.content
    problem(await cast(client, voter, rnd["id"], [2], key="lost-answer-1"), 422, "idempotency_key_reused")
    assert taken == [backend == "postgres", False, False]  # a key used before: always the route's to answer
    ballot, mark = (await session.scalars(select(Ballot))).one(), (await session.scalars(select(VoteMark))).one()
    assert (mark.casts, ballot.choices) == (1, [1])
    stored = (await session.scalars(select(IdempotencyRecord))).one()  # the answer sealed, as the route seals it
    assert stored.response_body.startswith("sealed:v1:") and receipt_code(first) not in stored.response_body
    assert "choices" not in stored.response_body


async def test_a_keyed_change_or_refusal_leaves_the_key_to_the_route(client, session, app, tree, backend, taken):
    from tests.proposals.helpers import make_pworld
    pw = await make_pworld(client, session, app, tree, rules={"ballot": {"ballot_unit": "household"}})
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([("13800000001", "张三", "", "3栋501"),
                                                                       ("13800000002", "李四", "", "3栋 501")])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    a, b = [await resident(session, app, pw.tree.community_a1, f"1380000000{i}") for i in (1, 2)]
    ok(await cast(client, a, rnd["id"], [1], key="a-1"), 201)
    changed = ok(await cast(client, a, rnd["id"], [2], key="a-2"), 201)  # tried as a first ballot, rolled back
    problem(await cast(client, b, rnd["id"], [3], key="b-1"), 409, "household_already_voted")
    assert changed["version"] == 2
    assert taken == ([True, False, False] if backend == "postgres" else [False] * 3)
    keys = (await session.scalars(select(IdempotencyRecord.key).order_by(IdempotencyRecord.key))).all()
    assert keys == ["a-1", "a-2"]  # the refused request's key was released, as the route does
    assert (await count(session, Ballot), await count(session, BallotHistory)) == (1, 1)


@pytest.mark.postgres_only
async def test_a_round_called_off_after_it_was_read_takes_no_ballot(client, session, app, pw, monkeypatch, taken):
    """The shortcut reads without a lock. If the round is called off after that read, the write's own check
    (under the round's share lock) must insert nothing, and the route then tells the voter why. Simulated
    with a read that still sees the round as scheduled."""
    rnd = await _round(client, pw)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    await session.execute(update(VotingRound).where(VotingRound.id == uuid.UUID(rnd["id"]))
                          .values(status=RoundStatus.cancelled))
    await session.commit()
    stale = first_ballot._READ.replace(
        "JOIN voting_round r ON r.id = q.round_id", "JOIN (SELECT id, community_id, 'scheduled' AS status, "
        "opens_at, closes_at, budget_fen, ballot_rule, region_path FROM voting_round) r ON r.id = q.round_id")
    assert stale != first_ballot._READ
    monkeypatch.setattr(first_ballot, "_READ", stale)
    problem(await cast(client, voter, rnd["id"], [1]), 409, "round_cancelled")
    assert taken == [False] and await count(session, Ballot) == 0
    assert await count(session, AuditEvent, CAST_EVENTS) == await count(session, VoteMark) == 0


def _write_batches(app, monkeypatch) -> list[int]:
    """The size of each batch of first-ballot writes the worker flushes."""
    writes = first_ballot._batches(app.state).writes
    flush, sizes = writes._flush, []

    async def spy(items):
        sizes.append(len(items))
        return await flush(items)

    monkeypatch.setattr(writes, "_flush", spy)
    return sizes


@pytest.mark.postgres_only
async def test_casts_arriving_together_are_stored_by_one_write(client, session, app, pw, monkeypatch, taken):
    rnd = await _round(client, pw)
    voters = [await resident(session, app, pw.tree.community_a1, phone) for phone, *_ in ROWS]
    sizes = _write_batches(app, monkeypatch)
    answers = await asyncio.gather(*(cast(client, v, rnd["id"], [n]) for n, v in enumerate(voters, 1)))
    assert taken == [True] * 3 and sum(sizes) == 3 and max(sizes) > 1
    for n, answer in enumerate(answers, 1):
        receipt = ok(answer, 201)
        ballot = (await session.scalars(select(Ballot).where(Ballot.id == uuid.UUID(receipt["ballot_id"])))).one()
        assert ballot.choices == [n] and receipt["version"] == 1
        assert ballot.receipt_digest == rules.receipt_digest(receipt["receipt_code"])
        event = await _event_of(session, answer)  # each cast with its own event, and only its own
        mark = (await session.scalars(select(VoteMark).where(VoteMark.cast_by == event.actor_id))).one()
        assert event.after == {"roll_entry_id": str(mark.roll_entry_id), "channel": "online"}
    assert await count(session, AuditEvent, CAST_EVENTS) == await count(session, VoteMark) == 3


@pytest.mark.postgres_only
async def test_one_household_in_one_batch_gets_one_ballot(client, session, app, tree, monkeypatch, taken):
    from tests.proposals.helpers import make_pworld
    pw = await make_pworld(client, session, app, tree, rules={"ballot": {"ballot_unit": "household"}})
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    household = [("13800000001", "张三", "", "3栋501"), ("13800000002", "李四", "", "3栋501")]
    ok(await import_roll(client, pw.h["staff_a1"], pw.tree.community_a1.id,
                         roll_csv([*household, ("13800000003", "王五", "", "")])))
    rnd = ok(await create_round(client, pw.h["staff_a1"], pw.world.pilot_a1["id"], proposals), 201)
    voters = [await resident(session, app, pw.tree.community_a1, phone) for phone in
              ("13800000003", "13800000001", "13800000002")]
    sizes = _write_batches(app, monkeypatch)
    answers = await asyncio.gather(*(cast(client, v, rnd["id"], [1]) for v in voters))
    assert sizes in ([3], [1, 2])  # the two of the household in one batch
    assert answers[0].status_code == 201 and sorted(a.status_code for a in answers[1:]) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409)
    problem(refused, 409, "household_already_voted")  # declined by the batch, refused by the route
    assert sorted(taken) == [False, True, True]
    assert await count(session, Ballot) == await count(session, VoteMark) == 2
    assert await count(session, AuditEvent, CAST_EVENTS) == 2


@pytest.mark.postgres_only
async def test_a_batch_the_database_refuses_leaves_every_cast_to_the_route(client, session, app, pw, monkeypatch,
                                                                           taken):
    """The batch's statement fails after its inserts ran: nothing of it stays, and each voter's ballot is
    then the route's first (version 1, one audit event), not a change of a ballot the batch left behind."""
    rnd = await _round(client, pw)
    voters = [await resident(session, app, pw.tree.community_a1, phone) for phone, *_ in ROWS]
    failing = first_ballot._WRITE.replace(  # divides by zero once the inserts have run
        "SELECT n FROM went_in\n",
        "SELECT n FROM went_in WHERE 1 / (SELECT count(*) - count(*) FROM went_in) = 1\n")
    assert failing != first_ballot._WRITE
    monkeypatch.setattr(first_ballot, "_WRITE", failing)
    answers = await asyncio.gather(*(cast(client, v, rnd["id"], [n]) for n, v in enumerate(voters, 1)))
    assert [ok(a, 201)["version"] for a in answers] == [1, 1, 1] and taken == [False] * 3
    assert (await count(session, Ballot), await count(session, BallotHistory)) == (3, 0)
    assert await count(session, AuditEvent, CAST_EVENTS) == await count(session, VoteMark) == 3


async def test_a_deactivated_resident_is_refused_as_by_every_route(client, session, app, pw, taken):
    """The shortcut admits a caller by the principal check's own rule (auth.service.session_admits)."""
    rnd = await _round(client, pw)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    await session.execute(update(User).where(User.role == "resident").values(is_active=False))
    await session.commit()
    problem(await cast(client, voter, rnd["id"], [1]), 401, "session_revoked")
    assert taken == [False] and await count(session, Ballot) == 0
