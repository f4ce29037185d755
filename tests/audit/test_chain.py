"""The chain itself: one event per audited write, verification, concurrency, append-only triggers, tampering."""

import asyncio
import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit import service as audit
from app.audit.models import AuditChainHead, AuditEvent
from app.audit.sealer import seal_pending
from app.auth.models import Organisation, OrganisationKind, Role
from app.main import create_app
from tests.audit.helpers import ACTOR, append, count, race_sealers
from tests.factories import make_tree, user_for

VERIFY = "/api/v1/audit/verify"


@pytest.fixture
def settings(settings):
    """Hundreds of requests at once queue for the connection pool; on a loaded machine they may wait longer than
    the production timeout, and this test is about what they write, not how fast."""
    return settings.model_copy(update={"db_timeout_seconds": 30.0})


async def test_every_audited_write_leaves_exactly_one_event(app):
    for i in range(5):
        async with app.state.sessionmaker() as s:
            org = Organisation(name=f"组织{i}", kind=OrganisationKind.other)
            s.add(org)
            await s.flush()
            await audit.record(s, ACTOR, "organisation.create", "organisation", org.id, after={"name": org.name})
            await s.commit()
        assert await count(app, AuditEvent, AuditEvent.entity_id == str(org.id)) == 1
    assert await count(app) == 5
    assert await seal_pending(app.state.sessionmaker) == 5
    async with app.state.sessionmaker() as s:
        events = (await s.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.after["name"] for e in events] == [f"组织{i}" for i in range(5)]
    assert {(e.actor_type, e.actor_id, e.action) for e in events} == {("user", "u-1", "organisation.create")}


async def test_a_rolled_back_write_leaves_no_event_and_no_gap(app):
    await append(app, 2)
    async with app.state.sessionmaker() as s:
        await audit.record(s, ACTOR, "thing.update", "thing", "x")
        await s.rollback()
    await append(app, 1)
    assert await count(app) == 3
    async with app.state.sessionmaker() as s:
        checked, broken = await audit.verify(s)
    assert (checked, broken) == (3, None)


async def test_chain_verifies_after_many_writes(app, client, session):
    await append(app, 300, per_transaction=10)
    tree = await make_tree(session)
    _, h = await user_for(session, app, tree, Role.supervisor)
    r = await client.get(VERIFY, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "checked": 300, "archived": 0, "first_break": None, "pending": 0}


@pytest.mark.postgres_only
@pytest.mark.pgbouncer  # the sealer's statements run on the driver's connection: also through a pooler
async def test_200_concurrent_writes_and_racing_sealers_form_one_unforked_chain(app):
    async def one(i: int) -> None:
        async with app.state.sessionmaker() as s:
            await audit.record(s, ACTOR, "thing.update", "thing", str(i), after={"i": i})
            await s.commit()

    sealed = await race_sealers(app, 200, one)
    async with app.state.sessionmaker() as s:
        events = (await s.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        head = await s.get(AuditChainHead, 1)
        checked, broken = await audit.verify(s)
    assert sealed == 200  # every event linked exactly once, whichever sealer got it
    assert [e.seq for e in events] == list(range(1, 201))
    assert len({e.prev_hash for e in events}) == 200  # no two events share a parent
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert sorted(int(e.entity_id) for e in events) == list(range(200))
    assert (head.seq, head.hash) == (200, events[-1].hash)
    assert (checked, broken) == (200, None)


async def test_writes_record_pending_events_that_sealing_links_in_order(app):
    async with app.state.sessionmaker() as s:
        await audit.record_many(s, ACTOR, [audit.Event("a.first", "thing", "1"), audit.Event("a.second", "thing", "1")])
        await s.commit()
    await append(app, 1, seal=False, action="b.later")
    async with app.state.sessionmaker() as s:
        assert await audit.pending_count(s) == 3
        assert await audit.verify(s) == (0, None)  # nothing is chained yet, and nothing is broken
        assert (await s.get(AuditChainHead, 1)).seq == 0
    assert await seal_pending(app.state.sessionmaker) == 3
    assert await seal_pending(app.state.sessionmaker) == 0
    async with app.state.sessionmaker() as s:
        events = (await s.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        assert [(e.seq, e.action) for e in events] == [(1, "a.first"), (2, "a.second"), (3, "b.later")]
        assert await audit.pending_count(s) == 0
        assert await audit.verify(s) == (3, None)


async def test_sealing_goes_in_batches(app, monkeypatch):
    monkeypatch.setattr("app.audit.sealer.BATCH", 4)
    await append(app, 10, per_transaction=10, seal=False)
    assert await seal_pending(app.state.sessionmaker) == 10
    async with app.state.sessionmaker() as s:
        assert await audit.verify(s) == (10, None)


@pytest.mark.pgbouncer
async def test_the_background_sealer_links_events_without_a_reader(settings):
    application = create_app(settings.model_copy(update={"audit_seal_interval_seconds": 0.05}))
    async with application.router.lifespan_context(application):
        await append(application, 5, seal=False)
        for _ in range(100):
            async with application.state.sessionmaker() as s:
                if await audit.pending_count(s) == 0:
                    break
            await asyncio.sleep(0.05)
        async with application.state.sessionmaker() as s:
            assert await audit.verify(s) == (5, None)


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET seq = 99, prev_hash = 'x', hash = 'y' WHERE seq = 1",  # re-sealing
        "UPDATE audit_event SET seq = 99, prev_hash = 'x', hash = 'y', action = 'forged' WHERE seq IS NULL",
        "UPDATE audit_event SET action = 'forged' WHERE seq IS NULL",
        "DELETE FROM audit_event WHERE seq IS NULL",
    ],
)
async def test_postgres_lets_sealing_link_a_pending_event_once_and_change_nothing_else(app, statement):
    await append(app, 1)
    await append(app, 1, seal=False)
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement))
        await s.rollback()
    assert await seal_pending(app.state.sessionmaker) == 1


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'forged' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
    ],
)
async def test_postgres_refuses_changing_recorded_events(app, statement):
    await append(app, 2)
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement))
        await s.rollback()
    assert await count(app) == 2


async def _tamper(app, backend: str, sql: str) -> None:
    """Change stored events behind the service's back (as the table owner on PostgreSQL)."""
    async with app.state.sessionmaker() as s:
        if backend == "postgres":
            await s.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete"))
        await s.execute(text(sql))
        if backend == "postgres":
            await s.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete"))
        await s.commit()


async def test_verify_names_the_edited_event(app, client, session, backend):
    events = await append(app, 6)
    tree = await make_tree(session)
    _, h = await user_for(session, app, tree, Role.supervisor)
    await session.commit()
    await _tamper(app, backend, "UPDATE audit_event SET actor_label = 'someone else' WHERE seq = 4")
    r = await client.get(VERIFY, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "ok": False,
        "checked": 3,
        "archived": 0,
        "first_break": {"seq": 4, "event_id": str(events[3].id), "reason": "content does not match its hash (edited)"},
        "pending": 0,
    }
    if backend == "postgres":  # the guard is back on
        async with app.state.sessionmaker() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text("UPDATE audit_event SET action = 'again' WHERE seq = 1"))


async def test_verify_names_the_event_after_a_deleted_one(app, client, session, backend):
    events = await append(app, 4)
    tree = await make_tree(session)
    _, h = await user_for(session, app, tree, Role.admin)
    await session.commit()
    await _tamper(app, backend, "DELETE FROM audit_event WHERE seq = 2")
    body = (await client.get(VERIFY, headers=h)).json()
    assert body["ok"] is False
    assert body["first_break"] == {
        "seq": 3,
        "event_id": str(events[2].id),
        "reason": "sequence gap: expected 2, found 3",
    }


async def test_verify_notices_events_cut_off_the_end(app, client, session, backend):
    await append(app, 3)
    tree = await make_tree(session)
    _, h = await user_for(session, app, tree, Role.supervisor)
    await session.commit()
    await _tamper(app, backend, "DELETE FROM audit_event WHERE seq = 3")
    body = (await client.get(VERIFY, headers=h)).json()
    assert body == {
        "ok": False,
        "checked": 2,
        "archived": 0,
        "first_break": {"seq": 3, "event_id": None, "reason": "chain head says 3 events, found 2"},
        "pending": 0,
    }


async def test_events_appended_during_a_walk_are_not_a_break(app):
    await append(app, 3)
    async with app.state.sessionmaker() as reader:
        read_head = reader.scalar

        async def head_then_append(stmt, *args, **kw):
            # verify reads the head first; two writers commit right after it, before the walk.
            result = await read_head(stmt, *args, **kw)
            reader.scalar = read_head
            await append(app, 2)
            return result

        reader.scalar = head_then_append
        checked, broken = await audit.verify(reader)
    assert (checked, broken) == (3, None)
    async with app.state.sessionmaker() as s:
        assert await audit.verify(s) == (5, None)
