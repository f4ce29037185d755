# ruff: noqa: S608 - the SQL names partitions of the test's own years
"""The audit trail partitioned by chain year on PostgreSQL (migration 0036, app/common/partitions.py): a database
holding a chain of three years migrates up and back with its rows; each event sits in its chain year's partition,
seq and year rise together (a late event of last year joins this year's); sealing across the new year under
concurrency gives one chain; partitions refuse changes by name; detaching a past year archives its events, and
verification then starts from the recorded anchor, or from genesis over the archive."""

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit import service as audit
from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.audit.rules import event_hash, hashed_content
from app.audit.sealer import run_sealer, seal_pending
from app.auth.models import Role
from app.common import partitions
from app.core import clock
from app.core.clock import SHANGHAI, today
from app.core.migrations import downgrade, upgrade
from tests.audit.helpers import ACTOR, race_sealers
from tests.factories import make_tree, user_for

VERIFY = "/api/v1/audit/verify"
_INSERT = text(
    "INSERT INTO audit_event (id, seq, occurred_at, actor_type, actor_id, actor_label, action, entity_type, "
    "entity_id, region_path, before, after, request_id, ordinal, prev_hash, hash) VALUES (:id, :seq, :occurred_at, "
    ":actor_type, :actor_id, :actor_label, :action, :entity_type, :entity_id, NULL, NULL, CAST(:after AS json), "
    "NULL, 0, :prev_hash, :hash)"
)


def _at(year: int, month: int = 6, day: int = 1, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def _seed_chain(conn, moments: list[datetime], pending: datetime) -> None:
    """At 0035: a sealed chain of events that occurred at `moments` (in seq order), and one pending event."""
    prev = GENESIS_HASH
    for seq, moment in enumerate(moments, start=1):
        row = {
            "id": uuid.uuid4(),
            "seq": seq,
            "occurred_at": moment,
            "actor_type": "user",
            "actor_id": "u-1",
            "actor_label": "tester",
            "action": "thing.update",
            "entity_type": "thing",
            "entity_id": str(seq),
            "region_path": None,
            "before": None,
            "after": {"n": seq},
            "request_id": None,
        }
        row["prev_hash"], row["hash"] = prev, event_hash(prev, hashed_content(SimpleNamespace(**row)))
        await conn.execute(_INSERT, {**row, "after": json.dumps(row["after"])})
        prev = row["hash"]
    await conn.execute(
        text("UPDATE audit_chain_head SET seq = :s, hash = :h WHERE id = 1"), {"s": len(moments), "h": prev}
    )
    await conn.execute(
        _INSERT,
        {
            "id": uuid.uuid4(),
            "seq": None,
            "occurred_at": pending,
            "actor_type": "system",
            "actor_id": None,
            "actor_label": "system",
            "action": "thing.pending",
            "entity_type": "thing",
            "entity_id": None,
            "after": json.dumps({"n": 0}),
            "prev_hash": None,
            "hash": None,
        },
    )


async def _years_by_partition(conn) -> dict[str, list[int]]:
    rows = await conn.execute(
        text("SELECT tableoid::regclass::text AS part, seq FROM audit_event ORDER BY seq NULLS LAST")
    )
    out: dict[str, list[int]] = {}
    for part, seq in rows.all():
        out.setdefault(part, []).append(seq)
    return out


async def _refused(app, statement: str) -> None:
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement))
        await s.rollback()


@pytest.mark.postgres_only
@pytest.mark.fresh_database
async def test_a_chain_of_three_years_is_partitioned_verified_and_a_past_year_archived(app, client, session, db_url):
    this = today().year
    y0, y1 = this - 2, this - 1
    # At 0035 (a plain table): two events of each past year, one of this year, then one of last year sealed
    # late (its transaction committed after this year's event was linked), and one event still pending.
    downgrade(db_url, "0035")
    async with app.state.engine.begin() as conn:
        await _seed_chain(
            conn,
            [_at(y0), _at(y0, 9), _at(y1), _at(y1, 12, 31, 23), _at(this, 1, 1, 0), _at(y1, 12, 31, 23)],
            _at(this, 1, 2),
        )
    await app.state.engine.dispose()
    started = time.perf_counter()
    upgrade(db_url)
    print(f"0035 -> head with 7 audit events: {time.perf_counter() - started:.2f} s")
    await app.state.engine.dispose()

    async with app.state.engine.begin() as conn:
        assert "audit_event" in await partitions._partitioned_tables(conn)
        assert await _years_by_partition(conn) == {
            f"audit_event_y{y0}": [1, 2],
            f"audit_event_y{y1}": [3, 4],
            f"audit_event_y{this}": [5, 6],  # the late event of last year joins this year, after seq 5
            "audit_event_pending": [None],
        }
        assert (await conn.execute(text("SELECT seq, year FROM audit_chain_head"))).one() == (6, this)
        attached = (await partitions.attached_years(conn))["audit_event"]
        assert {y0, y1, this, this + 1} <= set(attached)
        # seq stays unique with its year, the key a partitioned table can hold.
        with pytest.raises(DBAPIError, match="duplicate key"):
            async with conn.begin_nested():
                await conn.execute(
                    text(
                        "INSERT INTO audit_event SELECT (jsonb_populate_record(NULL::audit_event, to_jsonb(e) || "
                        "jsonb_build_object('id', gen_random_uuid()))).* FROM audit_event e WHERE seq = 5"
                    )
                )

    # The service goes on: the pending event is sealed into this year.
    tree = await make_tree(session)
    _, h = await user_for(session, app, tree, Role.supervisor)
    await session.commit()
    verified = (await client.get(VERIFY, headers=h)).json()
    assert verified["ok"] and verified["archived"] == 0 and verified["checked"] >= 7, verified
    total = verified["checked"]
    async with app.state.engine.begin() as conn:
        assert (await _years_by_partition(conn)).get("audit_event_pending") is None
        rows = (await conn.execute(text("SELECT seq, chain_year FROM audit_event ORDER BY seq"))).all()
        assert [r.seq for r in rows] == list(range(1, total + 1))
        assert all(a.chain_year <= b.chain_year for a, b in itertools.pairwise(rows))

    # Changes are refused on every partition by name, one made by `ensure` too, and in the pending one.
    async with app.state.engine.begin() as conn:
        assert await partitions.ensure(conn, [this + 4]) == [
            f"{table}_y{this + 4}" for table in ("ballot", "ballot_history", "ledger_entry", "audit_event")
        ]
    await audit.record(session, ACTOR, "thing.pending", "thing")
    await session.commit()
    for statement in (
        f"UPDATE audit_event_y{y1} SET action = 'forged' WHERE seq = 3",
        f"DELETE FROM audit_event_y{y1} WHERE seq = 3",
        f"TRUNCATE audit_event_y{y0}",
        f"TRUNCATE audit_event_y{this + 4}",
        "UPDATE audit_event_pending SET action = 'forged'",
        "DELETE FROM audit_event_pending",  # a pending event leaves only by being sealed
        "DELETE FROM audit_event WHERE seq IS NULL",
        "TRUNCATE audit_event_pending",
        f"UPDATE audit_event SET chain_year = {this} WHERE seq IS NULL",  # moved without being sealed
    ):
        await _refused(app, statement)

    # Detaching: not last year while the year before it is attached; then the oldest year, then the next.
    with pytest.raises(partitions.PartitionRefused, match="detach the earlier years first"):
        async with app.state.engine.begin() as conn:
            await partitions.detach(conn, y1, today())
    async with app.state.engine.begin() as conn:
        assert await conn.scalar(text("SELECT year FROM audit_chain_head")) == this  # the refusal changed nothing
        moved = await partitions.detach(conn, y0, today())
    assert moved["audit_event"] == 2
    verified = (await client.get(VERIFY, headers=h)).json()
    assert verified == {"ok": True, "checked": total - 1, "archived": 2, "first_break": None, "pending": 0}
    assert (await client.get(VERIFY, params={"from_genesis": "true"}, headers=h)).json()["checked"] == total + 1
    await _refused(app, f"UPDATE {partitions.ARCHIVE_SCHEMA}.audit_event_y{y0} SET action = 'forged'")
    await _refused(app, "DELETE FROM audit_chain_archive")
    async with app.state.engine.begin() as conn:
        assert (await partitions.detach(conn, y1, today()))["audit_event"] == 2
        archive = (
            await conn.execute(text("SELECT year, events, first_seq, last_seq FROM audit_chain_archive ORDER BY year"))
        ).all()
        assert archive == [(y0, 2, 1, 2), (y1, 2, 3, 4)]
        last_hash = await conn.scalar(
            text(f"SELECT hash FROM {partitions.ARCHIVE_SCHEMA}.audit_event_y{y1} WHERE seq = 4")
        )
        assert await conn.scalar(text(f"SELECT last_hash FROM audit_chain_archive WHERE year = {y1}")) == last_hash
        assert (await partitions.archived_years(conn))["audit_event"] == [y0, y1]
    verified = (await client.get(VERIFY, headers=h)).json()
    assert (verified["ok"], verified["archived"], verified["checked"]) == (True, 4, total - 3)
    genesis = (await client.get(VERIFY, params={"from_genesis": "true"}, headers=h)).json()
    assert (genesis["ok"], genesis["archived"], genesis["checked"]) == (True, 0, total + 1)
    # An edit inside the archive is found from genesis; an archive taken away is named.
    async with app.state.engine.begin() as conn:
        name = f"{partitions.ARCHIVE_SCHEMA}.audit_event_y{y1}"
        await conn.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER audit_event_no_update_delete"))
        await conn.execute(text(f"UPDATE {name} SET actor_label = 'someone else' WHERE seq = 3"))
    genesis = (await client.get(VERIFY, params={"from_genesis": "true"}, headers=h)).json()
    assert genesis["first_break"]["seq"] == 3 and genesis["checked"] == 2
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {partitions.ARCHIVE_SCHEMA}.audit_event_y{y0}"))
    genesis = (await client.get(VERIFY, params={"from_genesis": "true"}, headers=h)).json()
    assert genesis["first_break"] == {
        "seq": 1,
        "event_id": None,
        "reason": f"archived year {y0} is not in weishi_archive: restore its dump",
    }
    assert (await client.get(VERIFY, headers=h)).json()["ok"]
    await session.close()
    await app.state.engine.dispose()

    # Down past 0036 is refused while years are archived (what stays verifies only from their anchor).
    with pytest.raises(RuntimeError, match="archived"):
        downgrade(db_url, "0035")


@pytest.mark.postgres_only
@pytest.mark.fresh_database
async def test_the_migration_goes_back_down_with_the_rows(app, db_url):
    async with app.state.sessionmaker() as s:
        await audit.record(s, ACTOR, "thing.update", "thing", "1")
        await s.commit()
    await seal_pending(app.state.sessionmaker)
    async with app.state.sessionmaker() as s:
        await audit.record(s, ACTOR, "thing.update", "thing", "2")
        await s.commit()
    await app.state.engine.dispose()
    downgrade(db_url, "0035")
    async with app.state.engine.begin() as conn:
        assert not await conn.scalar(
            text("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'audit_event'::regclass")
        )
        assert (await conn.execute(text("SELECT count(*), count(seq) FROM audit_event"))).one() == (2, 1)
    await app.state.engine.dispose()
    upgrade(db_url)
    await app.state.engine.dispose()
    assert await seal_pending(app.state.sessionmaker) == 1
    async with app.state.sessionmaker() as s:
        assert await audit.verify(s) == (2, None)


@pytest.mark.postgres_only
@pytest.mark.pgbouncer  # the sealer's statements run on the driver's connection: also through a pooler
async def test_sealing_across_the_new_year_under_concurrency_gives_one_chain(app):
    """Writers record events either side of midnight on 31 December (some of the old year committed late)
    while four sealers race: one chain, every seq once, years never going down, each event in its year's
    partition."""
    this = today().year
    eve, new_year = _at(this, 12, 31, 23) + timedelta(minutes=59, seconds=59), _at(this + 1, 1, 1, 0)

    async def one(i: int) -> None:
        async with app.state.sessionmaker() as s:
            rows = audit.pending_rows(ACTOR, [audit.Event("thing.update", "thing", str(i))], eve if i % 2 else new_year)
            await audit.store_pending(await s.connection(), rows)
            await s.commit()

    sealed = await race_sealers(app, 120, one)
    assert sealed == 120
    async with app.state.sessionmaker() as s:
        events = (await s.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        head = await s.get(AuditChainHead, 1)
        assert await audit.verify(s) == (120, None)
        where = dict((await s.execute(text("SELECT id, tableoid::regclass::text FROM audit_event"))).all())
    assert [e.seq for e in events] == list(range(1, 121))
    assert all(a.chain_year <= b.chain_year for a, b in itertools.pairwise(events))
    assert {e.chain_year for e in events} <= {this, this + 1}
    assert all(where[e.id] == f"audit_event_y{e.chain_year}" for e in events)
    assert (head.seq, head.hash, head.year) == (120, events[-1].hash, events[-1].chain_year)


async def test_the_sealer_gives_each_event_its_chain_year_on_both_backends(app):
    """SQLite keeps a plain table with the same column: the sealer sets it there too."""
    this = today().year
    async with app.state.sessionmaker() as s:
        late = audit.pending_rows(ACTOR, [audit.Event("thing.late", "thing")], _at(this - 1, 12, 31, 23))
        now = audit.pending_rows(ACTOR, [audit.Event("thing.now", "thing")], _at(this, 3, 1))
        await audit.store_pending(await s.connection(), now)
        await s.commit()
    await seal_pending(app.state.sessionmaker)
    async with app.state.sessionmaker() as s:
        await audit.store_pending(await s.connection(), late)  # committed after this year's event was linked
        await s.commit()
    await seal_pending(app.state.sessionmaker)
    async with app.state.sessionmaker() as s:
        events = (await s.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
        assert [(e.action, e.chain_year) for e in events] == [("thing.now", this), ("thing.late", this)]
        assert (await s.get(AuditChainHead, 1)).year == this
        assert await audit.verify(s) == (2, None)


@pytest.mark.fresh_database
async def test_the_background_sealer_makes_the_new_years_partition_before_it_needs_it(app, backend):
    """Nobody ran `weishi migrate` or created a programme for two years: on 1 January the sealer's hourly check
    makes the year's partitions (PostgreSQL), and the year's first events are sealed into it."""
    later = today().year + 3
    clock.travel_to(date(later, 1, 1))
    async with app.state.sessionmaker() as s:
        await audit.record(s, ACTOR, "thing.update", "thing", "1")
        await s.commit()
    sealer = asyncio.create_task(run_sealer(app.state.sessionmaker, 0.01))
    try:
        for _ in range(500):
            async with app.state.sessionmaker() as s:
                if await audit.pending_count(s) == 0:
                    break
            await asyncio.sleep(0.01)
    finally:
        sealer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sealer
    async with app.state.sessionmaker() as s:
        [event] = (await s.scalars(select(AuditEvent))).all()
        assert (event.seq, event.chain_year) == (1, later)
        if backend == "postgres":
            assert await s.scalar(text("SELECT tableoid::regclass::text FROM audit_event")) == f"audit_event_y{later}"
            attached = await partitions.attached_years(await s.connection())
            assert all({later, later + 1} <= set(attached[table]) for table in partitions.PARTITIONED)
