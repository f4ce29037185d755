"""The ledger partitioned by programme year on PostgreSQL (migration 0030): a database with entries of three years,
migrated from 0029, keeps every entry in its pilot's year and every reference pointing at the same entry; the
composite keys refuse a reference of the wrong year and a second reversal; the append-only triggers hold on each
partition; a past year still named by money is refused at detach, one nothing names is archived; and the
migration goes back down with the rows."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.common import partitions
from app.core.clock import today
from app.core.migrations import downgrade, upgrade
from tests.programmes.helpers import API, YEAR, commit, movement, ok

# A row of `t` copied as a row of the same table with new values for some columns (any schema revision).
_COPY = "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t}, to_jsonb(x) || {over})).* FROM {t} x WHERE {where}"
ENTRY_COLUMNS = {
    "fund_draw": "entry_id",
    "fund_payment": "entry_id",
    "disbursement": "ledger_entry_id",
    "budget_change": "ledger_entry_id",
    "project_closure": "return_entry_id",
    "project_confirmation": "ledger_entry_id",
}


async def _copy(conn, table: str, where: str, over: str, names: dict) -> None:
    await conn.execute(text(_COPY.format(t=table, where=where, over=over)), names)


async def _copy_year(conn, world, year: int, kind: str) -> uuid.UUID:
    """Pilot a1's programme and pilot again as of a closed past year, with a copy of its first entry of `kind`
    (and that entry's fund draws); the copied entry's id."""
    programme, pilot = str(world.programme["id"]), str(world.pilot_a1["id"])
    new = {p: uuid.uuid4() for p in ("programme", "pilot", "entry")}
    names = {
        "p": programme,
        "a": pilot,
        "y": year,
        "ys": str(year),
        "kind": kind,
        **{k: str(v) for k, v in new.items()},
    }
    await _copy(
        conn,
        "programme",
        "id = CAST(:p AS uuid)",
        "jsonb_build_object('id', CAST(:programme AS text), 'year', CAST(:y AS int), 'name', 'copy ' || :ys, "
        "'status', 'closed')",
        names,
    )
    await _copy(
        conn,
        "pilot",
        "id = CAST(:a AS uuid)",
        "jsonb_build_object('id', CAST(:pilot AS text), 'programme_id', CAST(:programme AS text), "
        "'year', CAST(:y AS int))",
        names,
    )
    first = await conn.scalar(
        text(
            "SELECT id FROM ledger_entry WHERE pilot_id = CAST(:a AS uuid) AND kind = :kind "
            "ORDER BY recorded_at LIMIT 1"
        ),
        names,
    )
    names["first"] = str(first)
    await _copy(
        conn,
        "ledger_entry",
        "id = CAST(:first AS uuid)",
        "jsonb_build_object('id', CAST(:entry AS text), 'pilot_id', CAST(:pilot AS text))",
        names,
    )
    await _copy(
        conn,
        "fund_draw",
        "entry_id = CAST(:first AS uuid)",
        "jsonb_build_object('id', gen_random_uuid(), 'entry_id', CAST(:entry AS text), "
        "'pilot_id', CAST(:pilot AS text))",
        names,
    )
    return new["entry"]


async def _entries_by_year(conn) -> dict[int, int]:
    rows = await conn.execute(
        text("SELECT p.year, count(*) FROM ledger_entry e JOIN pilot p ON p.id = e.pilot_id GROUP BY p.year")
    )
    return dict(rows.all())


async def _referring(conn) -> dict[str, int]:
    return {t: await conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in ENTRY_COLUMNS}  # noqa: S608


@pytest.mark.postgres_only
@pytest.mark.fresh_database
async def test_a_ledger_with_entries_of_three_years_is_partitioned_and_a_past_year_archived(
    client, world, session, app, db_url
):
    h = world.h
    # This year's books: funds in (the world), a commitment paid in part, a second one reversed.
    project = uuid.uuid4()
    ok(await commit(client, h["district"], world.pilot_a1["id"], 1_000_000, project_id=project), 201)
    ok(await movement(client, h["finance"], "disbursements", project, 300_000), 201)
    undone = ok(await commit(client, h["district"], world.pilot_a1["id"], 200_000), 201)
    reversal = ok(
        await client.post(
            f"{API}/funds/ledger/{undone['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-04-02", "reason": "立项撤销"},
        ),
        201,
    )
    await session.close()
    await app.state.engine.dispose()

    # At 0029 (down with the rows), two closed past years: one with a commitment and its draws, one with funds in.
    downgrade(db_url, "0029")
    async with app.state.engine.begin() as conn:
        referred = await _copy_year(conn, world, YEAR - 1, "commitment")
        await _copy_year(conn, world, YEAR - 2, "funds_in")
        before, refs_before = await _entries_by_year(conn), await _referring(conn)
    assert before[YEAR - 1] == before[YEAR - 2] == 1 and before[YEAR] >= 6
    upgrade(db_url)
    await app.state.engine.dispose()

    this = today().year
    async with app.state.engine.begin() as conn:
        attached = (await partitions.attached_years(conn))["ledger_entry"]
        assert attached == sorted({YEAR - 2, YEAR - 1, YEAR, this, this + 1})
        assert await _entries_by_year(conn) == before
        for y, count in before.items():
            assert await conn.scalar(text(f"SELECT count(*) FROM ledger_entry_y{y}")) == count  # noqa: S608
        assert (
            await conn.scalar(
                text(
                    "SELECT count(*) FROM ledger_entry e JOIN pilot p ON p.id = e.pilot_id "
                    "WHERE e.programme_year <> p.year"
                )
            )
            == 0
        )
        # Every reference kept, naming its entry's year.
        assert await _referring(conn) == refs_before
        for table, year_column, _ in partitions.LEDGER_REFERENCES:
            column = ENTRY_COLUMNS[table]
            wrong = await conn.scalar(
                text(
                    f"SELECT count(*) FROM {table} t LEFT JOIN ledger_entry e "  # noqa: S608
                    f"ON e.id = t.{column} AND e.programme_year = t.{year_column} "
                    f"WHERE t.{column} IS NOT NULL AND e.id IS NULL"
                )
            )
            assert wrong == 0, table

    # The keys hold across the partitions: a draw naming its entry with another year, a second reversal.
    with pytest.raises(IntegrityError, match="fk_fund_draw_entry_id_ledger_entry"):
        async with app.state.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO fund_draw (id, entry_id, entry_year, fund_source_id, pilot_id, project_id, "
                    "amount_fen) "
                    "SELECT gen_random_uuid(), entry_id, entry_year + 1, fund_source_id, pilot_id, project_id, "
                    "amount_fen FROM fund_draw WHERE entry_year = :y LIMIT 1"
                ),
                {"y": YEAR},
            )
    with pytest.raises(IntegrityError, match="reverses_id_programme_year"):
        async with app.state.engine.begin() as conn:
            await conn.execute(
                text(
                    _COPY.format(
                        t="ledger_entry",
                        where="id = CAST(:r AS uuid)",
                        over="jsonb_build_object('id', gen_random_uuid())",
                    )
                ),
                {"r": reversal["id"]},
            )
    # Append-only on the partitioned table and on a partition named directly.
    for statement in (
        "UPDATE ledger_entry SET amount_fen = amount_fen + 1",
        f"DELETE FROM ledger_entry_y{YEAR}",  # noqa: S608
        f"TRUNCATE ledger_entry_y{YEAR} CASCADE",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.state.engine.begin() as conn:
                await conn.execute(text(statement))

    # The service goes on: commit, pay, reverse, read an entry.
    second = uuid.uuid4()
    ok(await commit(client, h["district"], world.pilot_a1["id"], 100_000, project_id=second), 201)
    paid = ok(await movement(client, h["finance"], "disbursements", second, 50_000), 201)
    ok(
        await client.post(
            f"{API}/funds/ledger/{paid['id']}/reversal",
            headers=h["finance"],
            json={"entry_date": f"{YEAR}-05-02", "reason": "错付"},
        ),
        201,
    )

    async with app.state.engine.begin() as conn:
        # The ledger's partitions were made by 0030; the ballots' of the years copied after 0029 only now.
        made = await partitions.ensure(conn, await partitions.years_ahead(conn, today()))
        assert made == [f"{t}_y{y}" for t in ("ballot", "ballot_history") for y in (YEAR - 2, YEAR - 1)]
    # A past, closed year whose entry fund draws still name is refused, changing nothing.
    with pytest.raises(partitions.PartitionRefused, match=r"仍被引用.*资金来源分摊 1 条"):
        async with app.state.engine.begin() as conn:
            await partitions.detach(conn, YEAR - 1, today())
    async with app.state.engine.begin() as conn:
        assert YEAR - 1 in (await partitions.attached_years(conn))["ledger_entry"]
        assert await conn.scalar(text("SELECT count(*) FROM ledger_entry WHERE id = :r"), {"r": referred}) == 1
        # One nothing names is archived, with the ballots of that year.
        moved = await partitions.detach(conn, YEAR - 2, today())
        assert moved["ledger_entry"] == 1
    async with app.state.engine.begin() as conn:
        assert (await partitions.archived_years(conn))["ledger_entry"] == [YEAR - 2]
        archive = f"{partitions.ARCHIVE_SCHEMA}.ledger_entry_y{YEAR - 2}"
        assert await conn.scalar(text(f"SELECT count(*) FROM {archive}")) == 1  # noqa: S608
        assert YEAR - 2 not in await _entries_by_year(conn)
        after = await _entries_by_year(conn)
    await app.state.engine.dispose()

    # Down to a plain ledger with the rows; references by id alone again.
    downgrade(db_url, "0029")
    async with app.state.engine.begin() as conn:
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'ledger_entry'::regclass")
            )
            == 0
        )
        assert await _entries_by_year(conn) == after
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE conname = 'fk_fund_draw_entry_id_ledger_entry'")
            )
            == 1
        )
    await app.state.engine.dispose()
    upgrade(db_url)
