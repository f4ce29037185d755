"""Ballots partitioned by programme year on PostgreSQL (migration 0029, app/common/partitions.py): a database
with ballots of three years migrated from 0025 keeps every row in its year's partition and still refuses a
second ballot per voter; the service casts and changes ballots in it; next years are made ahead, a closed past
year is detached into the archive schema and a current or open one is refused; the migration goes back down
with the rows."""

import hashlib
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.common import partitions
from app.core.clock import today
from app.core.migrations import downgrade, upgrade
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist

PHONES = ["13900000101", "13900000102", "13900000103"]
TABLES = ("ballot", "ballot_history")
# A row of `table` copied as a row of the same table with new values for some columns (any schema revision).
_COPY = "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t}, to_jsonb(x) || {over})).* FROM {t} x WHERE {where}"


async def _copy_year(conn, programme_id: str, round_id: str, year: int) -> None:
    """The programme, its round and the round's ballots and replaced versions again, as of another year."""
    names = {"p": programme_id, "r": round_id, "y": year, "ys": str(year)}
    new_programme, new_round = "md5(CAST(:p AS text) || :ys)::uuid", "md5(CAST(:r AS text) || :ys)::uuid"
    await conn.execute(
        text(
            _COPY.format(
                t="programme",
                where="id = CAST(:p AS uuid)",
                over=f"jsonb_build_object('id', {new_programme}, 'year', CAST(:y AS int), 'name', 'copy ' || :ys)",
            )
        ),
        names,
    )
    await conn.execute(
        text(
            _COPY.format(
                t="voting_round",
                where="id = CAST(:r AS uuid)",
                over=f"jsonb_build_object('id', {new_round}, 'programme_id', {new_programme})",
            )
        ),
        names,
    )
    for table in TABLES:
        await conn.execute(
            text(
                _COPY.format(
                    t=table,
                    where="round_id = CAST(:r AS uuid)",
                    over=f"jsonb_build_object('id', gen_random_uuid(), 'round_id', {new_round}, "
                    "'receipt_digest', encode(sha256(convert_to(receipt_digest || :ys, 'UTF8')), 'hex'))",
                )
            ),
            names,
        )


def _copied(round_id: str, year: int) -> uuid.UUID:
    """The id _copy_year gave the round's copy."""
    return uuid.UUID(hashlib.md5(f"{round_id}{year}".encode()).hexdigest())  # noqa: S324 - as the SQL makes it


async def _rows_by_year(conn, table: str) -> dict[int, int]:
    rows = await conn.execute(
        text(
            f"SELECT p.year, count(*) FROM {table} t JOIN voting_round r ON r.id = t.round_id "  # noqa: S608
            "JOIN programme p ON p.id = r.programme_id GROUP BY p.year"
        )
    )
    return dict(rows.all())


@pytest.mark.postgres_only
@pytest.mark.fresh_database
async def test_a_seeded_database_is_partitioned_by_year_and_a_past_year_archived(client, session, app, pw, db_url):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voters = [await resident(session, app, pw.tree.community_a1, p) for p in PHONES]
    for voter, choices in ((voters[0], [1]), (voters[1], [2]), (voters[1], [1, 2])):
        ok(await cast(client, voter, rnd["id"], choices), 201)
    year, programme_id = pw.world.programme["year"], pw.world.programme["id"]
    await session.close()
    await app.state.engine.dispose()

    # At 0025 (down with the rows), two more years of the same round: 2023 closed, 2024 open.
    downgrade(db_url, "0025")
    async with app.state.engine.begin() as conn:
        for past in (year - 2, year - 1):
            await _copy_year(conn, programme_id, rnd["id"], past)
        await conn.execute(text("UPDATE programme SET status = 'closed' WHERE year = :y"), {"y": year - 2})
        await conn.execute(
            text("UPDATE voting_round SET status = 'closed', ballots_counted = 2 WHERE id = :r"),
            {"r": _copied(rnd["id"], year - 2)},
        )
        before = {t: await _rows_by_year(conn, t) for t in TABLES}
    assert before == {"ballot": {year - 2: 2, year - 1: 2, year: 2}, "ballot_history": {y: 1 for y in before["ballot"]}}
    started = time.perf_counter()
    upgrade(db_url)
    print(
        f"0025 -> head with {sum(map(sum, (v.values() for v in before.values())))} rows: "
        f"{time.perf_counter() - started:.2f} s"
    )
    await app.state.engine.dispose()

    async with app.state.engine.begin() as conn:
        assert await partitions.partitioned(conn)
        attached = await partitions.attached_years(conn)
        this = today().year
        assert attached["ballot"] == attached["ballot_history"] == sorted({year - 2, year - 1, year, this, this + 1})
        for table in TABLES:
            assert await _rows_by_year(conn, table) == before[table]
            misplaced = await conn.scalar(
                text(
                    f"SELECT count(*) FROM {table} t JOIN voting_round r ON r.id = t.round_id "  # noqa: S608
                    "JOIN programme p ON p.id = r.programme_id WHERE t.programme_year <> p.year"
                )
            )
            assert misplaced == 0
            # Each row is in its own year's partition.
            for y in before[table]:
                assert (
                    await conn.scalar(text(f"SELECT count(*) FROM {partitions.partition_name(table, y)}"))  # noqa: S608
                    == before[table][y]
                )
    # One ballot per voter per round still holds in the database, across the partitioned table.
    with pytest.raises(IntegrityError, match=r"duplicate key.*round_id_voter_tag_programme_year"):
        async with app.state.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO ballot (id, programme_year, round_id, voter_tag, choices, choice_mask, "
                    "receipt_digest) "
                    "SELECT gen_random_uuid(), programme_year, round_id, voter_tag, choices, choice_mask, "
                    "md5(receipt_digest) FROM ballot WHERE programme_year = :y LIMIT 1"
                ),
                {"y": year},
            )

    # The service goes on: a first ballot, a change (a replaced version), the receipts, the audit chain.
    first = ok(await cast(client, voters[2], rnd["id"], [3]), 201)
    ok(await cast(client, voters[0], rnd["id"], [1, 3]), 201)
    assert ok(await client.get(f"{API}/public/voting/receipts/{first['receipt_code']}"))["status"] == "recorded"
    verified = ok(await client.get(f"{API}/audit/verify", headers=pw.h["admin"]))
    assert verified["ok"] and verified["checked"] > 0

    async with app.state.engine.begin() as conn:
        assert await _rows_by_year(conn, "ballot") == {**before["ballot"], year: 3}
        assert await _rows_by_year(conn, "ballot_history") == {**before["ballot_history"], year: 2}
        # Made ahead: nothing is missing; a year far ahead gets its partitions (once).
        assert await partitions.ensure(conn, await partitions.years_ahead(conn, today())) == []
        assert await partitions.ensure(conn, [this + 4]) == [
            f"{table}_y{this + 4}" for table in ("ballot", "ballot_history", "ledger_entry", "audit_event")
        ]
        assert await partitions.ensure(conn, [this + 4]) == []
    # Refused, changing nothing: this year, a later one, a year with an open programme, a year without partitions.
    for refused, says in (
        (this, "past year"),
        (this + 1, "past year"),
        (year - 1, "not closed"),
        (year - 5, "no attached partition"),
    ):
        with pytest.raises(partitions.PartitionRefused, match=says):
            async with app.state.engine.begin() as conn:
                await partitions.detach(conn, refused, today())
    async with app.state.engine.begin() as conn:
        moved = await partitions.detach(conn, year - 2, date(this, 1, 1))
        assert moved == {"ballot": 2, "ballot_history": 1, "ledger_entry": 0, "audit_event": 0}
    # The archived round's public ballot file is refused rather than served without its ballots.
    archived_pb = await client.get(f"{API}/public/voting/rounds/{_copied(rnd['id'], year - 2)}/ballots.pb")
    assert archived_pb.status_code == 409 and archived_pb.json()["code"] == "ballots_archived"
    async with app.state.engine.begin() as conn:
        archived = await partitions.archived_years(conn)
        assert archived == {table: [year - 2] for table in partitions.PARTITIONED}
        assert year - 2 not in (await partitions.attached_years(conn))["ballot"]
        assert await _rows_by_year(conn, "ballot") == {year - 1: 2, year: 3}
        archive = f"{partitions.ARCHIVE_SCHEMA}.{partitions.partition_name('ballot', year - 2)}"
        kept = await conn.scalar(text(f"SELECT count(*) FROM {archive}"))  # noqa: S608
        assert kept == 2
        # An archived year is not made again.
        assert await partitions.ensure(conn, [year - 2]) == []
    await app.state.engine.dispose()

    # Down to plain tables with the rows still attached; the archive stays where it is.
    downgrade(db_url, "0025")
    async with app.state.engine.begin() as conn:
        assert not await partitions.partitioned(conn)
        assert await _rows_by_year(conn, "ballot") == {year - 1: 2, year: 3}
        assert (
            await conn.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'uq_ballot_round_id_voter_tag'"))
            == 1
        )
    await app.state.engine.dispose()
    upgrade(db_url)
