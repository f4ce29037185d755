"""Tables partitioned by programme year on PostgreSQL: each year's partition made ahead of time, and a past
year detached and archived.

Ballots and replaced ballot versions carry their round's programme year (`programme_year`), ledger entries their
pilot's, and on PostgreSQL the three tables are LIST-partitioned by it (migrations 0029 and 0030), one partition
per year named `<table>_y<year>`. A row of a year without its partition is refused by PostgreSQL, so partitions
are made before they are needed: for this year and the next by `weishi migrate` and `weishi partitions ensure`,
and for a programme's year when the programme is created (app.programmes.service). Audit events are partitioned
by their chain year (migration 0036), which the sealer gives each as it links it (app.audit.sealer); pending
events wait in `audit_event_pending`. On SQLite the tables stay plain and none of this applies.

A past year whose programmes are all closed can be detached: its partitions leave the tables (queries, indexes
and vacuum no longer touch them) and move, rows, keys and all, to the schema `weishi_archive` of the same
database, where `pg_dump --schema=weishi_archive` can take them away. Refused, changing nothing: this year and
later years, a year of which any programme is still open, and a year whose ledger entries are still named by
fund draws, payments, disbursements, budget changes, closures or confirmations (their composite keys would
point into the archive), and a year while audit events of an earlier year are still attached (the archived
events must be the start of the chain). Detaching a year's audit events records the chain's last link up to
its end in `audit_chain_archive`, where verification of what stays starts, and raises the chain head's year past
it, under the head's row lock, so no event is sealed into the archived year afterwards.
"""

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

ARCHIVE_SCHEMA = "weishi_archive"
PARTITIONED = ("ballot", "ballot_history", "ledger_entry", "audit_event")
PENDING_AUDIT = "audit_event_pending"  # the audit events not yet sealed (chain year 0)
_PARTITION = re.compile(r"^(ballot|ballot_history|ledger_entry|audit_event)_y(\d{4})$")
# The rows that name a ledger entry by (id, year): (table, year column, what it is to an official).
LEDGER_REFERENCES = (
    ("fund_draw", "entry_year", "资金来源分摊"),
    ("fund_payment", "entry_year", "按来源拨付"),
    ("disbursement", "ledger_entry_year", "拨付"),
    ("budget_change", "ledger_entry_year", "预算调整"),
    ("project_closure", "return_entry_year", "结项退回"),
    ("project_confirmation", "ledger_entry_year", "项目确定"),
)
# A partition of the ledger or the audit trail refuses TRUNCATE by its own name too (the parent's statement trigger
# does not fire).
_NO_TRUNCATE = """CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {schema}.{name}
                  FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"""
# A detached partition loses the row triggers it had from its table: an archived year of the trail keeps its own.
_ARCHIVED_AUDIT_GUARD = f"""CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE
                            ON {ARCHIVE_SCHEMA}.{{name}} FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"""
# Taken before the trail's partitions move: no sealer links meanwhile, and none gives the year afterwards.
_RAISE_HEAD = text("UPDATE audit_chain_head SET year = greatest(year, :next) WHERE id = 1")
_EARLIER_EVENTS = text("SELECT count(*) FROM audit_event WHERE chain_year > 0 AND chain_year < :y")
_LAST_ARCHIVED = text("SELECT last_seq, last_hash FROM audit_chain_archive ORDER BY last_seq DESC LIMIT 1")
_RECORD_ARCHIVE = text(
    "INSERT INTO audit_chain_archive (year, events, first_seq, last_seq, last_hash, archived_at) "
    "VALUES (:year, :events, :first_seq, :last_seq, :last_hash, now())"
)
# Two processes making the same partition at once: the second waits, then finds it made.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('weishi.partitions'))")
_IS_PARTITIONED = text(
    "SELECT count(*) FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid "
    "WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(:tables)"
)
_ATTACHED = text(
    "SELECT p.relname AS parent, c.relname AS name FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
    "WHERE p.relnamespace = 'public'::regnamespace AND p.relname = ANY(:tables)"
)
_ARCHIVED = text(
    "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind = 'r'"
)
_EXISTS = text("SELECT to_regclass(:name) IS NOT NULL")
_PROGRAMME_YEARS = text("SELECT DISTINCT year FROM programme")
_OPEN_PROGRAMMES = text("SELECT count(*) FROM programme WHERE year = :year AND status <> 'closed'")


class PartitionRefused(Exception):
    """A detach that must not happen (this or a later year, a programme still open, nothing to detach)."""


def partition_name(table: str, year: int) -> str:
    """`ballot_y2026`: the partition of a table for a programme year."""
    return f"{table}_y{int(year)}"


def is_partition(name: str) -> bool:
    """Whether a table name is a year's partition (or an archived one) of a partitioned table, or the pending
    audit events' partition."""
    return name == PENDING_AUDIT or _PARTITION.match(name) is not None


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter when comparing models and database: a year's partition is part of its table (compared as
    the partitioned table), not a table of its own the models lack."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if reflected and type_ == "foreign_key_constraint":
        # A key referencing a partitioned table is held by PostgreSQL once per partition as well.
        table = getattr(obj, "referred_table", None)
    return not (reflected and table is not None and is_partition(str(table.name)))


async def partitioned(conn: AsyncConnection) -> bool:
    """Whether this database partitions the tables (PostgreSQL at migration 0029 or later)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(await conn.scalar(_IS_PARTITIONED, {"tables": list(PARTITIONED)}))


async def _partitioned_tables(conn: AsyncConnection) -> list[str]:
    """The tables of PARTITIONED that are partitioned here (the ledger from 0030 on, the ballots from 0029)."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(:tables)"
        ),
        {"tables": list(PARTITIONED)},
    )
    present = set(rows.scalars())
    return [table for table in PARTITIONED if table in present]


async def attached_years(conn: AsyncConnection) -> dict[str, list[int]]:
    """Table -> the years it has a partition for."""
    out: dict[str, list[int]] = {table: [] for table in PARTITIONED}
    for row in await conn.execute(_ATTACHED, {"tables": list(PARTITIONED)}):
        if (match := _PARTITION.match(row.name)) and match.group(1) == row.parent:
            out[row.parent].append(int(match.group(2)))
    return {table: sorted(years) for table, years in out.items()}


async def archived_years(conn: AsyncConnection) -> dict[str, list[int]]:
    """Table -> the years detached into the archive schema."""
    out: dict[str, list[int]] = {table: [] for table in PARTITIONED}
    for row in await conn.execute(_ARCHIVED, {"schema": ARCHIVE_SCHEMA}):
        if match := _PARTITION.match(row.name):
            out[match.group(1)].append(int(match.group(2)))
    return {table: sorted(years) for table, years in out.items()}


async def _missing(conn: AsyncConnection, years: Iterable[int]) -> list[tuple[str, int]]:
    """The (table, year) partitions neither attached nor archived."""
    out = []
    for table in await _partitioned_tables(conn):
        for year in sorted(set(years)):
            name = partition_name(table, year)
            if not (
                await conn.scalar(_EXISTS, {"name": f"public.{name}"})
                or await conn.scalar(_EXISTS, {"name": f"{ARCHIVE_SCHEMA}.{name}"})
            ):
                out.append((table, year))
    return out


async def ensure(conn: AsyncConnection, years: Iterable[int]) -> list[str]:
    """Make every table's partition of each year that has none (an archived year is not made again), in the
    connection's transaction; the names made. Nothing on SQLite."""
    years = list(years)
    if not await partitioned(conn) or not await _missing(conn, years):
        return []
    await conn.execute(_LOCK)
    made = []
    for table, year in await _missing(conn, years):
        name = partition_name(table, year)
        await conn.execute(text(f"CREATE TABLE public.{name} PARTITION OF public.{table} FOR VALUES IN ({int(year)})"))
        if table in ("ledger_entry", "audit_event"):
            await conn.execute(text(_NO_TRUNCATE.format(table=table, schema="public", name=name)))
        made.append(name)
    return made


async def years_ahead(conn: AsyncConnection, today: date) -> list[int]:
    """The years that must have partitions now: this one, the next, and every programme's."""
    years = {today.year, today.year + 1}
    years.update(int(y) for y in await conn.scalars(_PROGRAMME_YEARS))
    return sorted(years)


async def detach(conn: AsyncConnection, year: int, today: date) -> dict[str, int]:
    """Detach a past, closed year's partitions into the archive schema, in the connection's transaction; the
    number of rows each took along. Raises PartitionRefused, having changed nothing."""
    if not await partitioned(conn):
        raise PartitionRefused(
            "这个数据库的表没有按年份分区（仅 PostgreSQL）。"
            "This database does not partition its tables by year (PostgreSQL only)."
        )
    if year >= today.year:
        raise PartitionRefused(
            f"{year} 年不是过去的年份，不能归档。{year} is this year or a later one: only a past year can be detached."
        )
    if open_count := await conn.scalar(_OPEN_PROGRAMMES, {"year": year}):
        raise PartitionRefused(
            f"{year} 年还有 {open_count} 个未结束的项目年度，不能归档。"
            f"{year} still has {open_count} programme(s) not closed: close its year end first."
        )
    attached = await attached_years(conn)
    if not any(year in years for years in attached.values()):
        raise PartitionRefused(f"{year} 年没有可归档的分区。There is no attached partition of {year} to detach.")
    await conn.execute(_LOCK)
    if year in attached["audit_event"]:
        # The head's row lock first: no sealer links until this commits (a refusal rolls the raise back too).
        await conn.execute(_RAISE_HEAD, {"next": year + 1})
    if year in attached["audit_event"] and (earlier := await conn.scalar(_EARLIER_EVENTS, {"y": year})):
        raise PartitionRefused(
            f"{year} 年之前还有 {earlier} 条审计记录未归档，请先归档更早的年份。"
            f"{earlier} audit event(s) of years before {year} are still attached: detach the earlier years first."
        )
    if year in attached["ledger_entry"] and (still := await _money_referring_to(conn, year)):
        zh = "、".join(f"{label} {count} 条" for label, count, _ in still)
        en = ", ".join(f"{count} in {table}" for _, count, table in still)
        raise PartitionRefused(
            f"{year} 年的台账记录仍被引用（{zh}），不能归档。"
            f"{year}'s ledger entries are still referred to ({en}): that year's money cannot be archived."
        )
    await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}"))
    if year in attached["audit_event"]:
        await _anchor(conn, year)
    moved = {}
    for table in PARTITIONED:
        if year not in attached[table]:
            continue
        name = partition_name(table, year)
        moved[table] = int(await conn.scalar(text(f"SELECT count(*) FROM public.{name}")))  # noqa: S608
        await conn.execute(text(f"ALTER TABLE public.{table} DETACH PARTITION public.{name}"))
        if table == "ledger_entry":
            # Its reversals' key pointed at the live ledger; within the archive they stay as recorded.
            await conn.execute(text(f"ALTER TABLE public.{name} DROP CONSTRAINT IF EXISTS {_SELF_KEY}"))
        await conn.execute(text(f"ALTER TABLE public.{name} SET SCHEMA {ARCHIVE_SCHEMA}"))
        if table == "audit_event":
            await conn.execute(text(_ARCHIVED_AUDIT_GUARD.format(name=name)))
    return moved


async def _anchor(conn: AsyncConnection, year: int) -> None:
    """Under the chain head's row lock (taken by detach), record the chain's last link up to the year's end:
    where verification of what stays starts."""
    name = partition_name("audit_event", year)
    events, first_seq, last_seq = (
        await conn.execute(text(f"SELECT count(*), min(seq), max(seq) FROM public.{name}"))  # noqa: S608
    ).one()
    if last_seq is not None:
        last_hash = await conn.scalar(text(f"SELECT hash FROM public.{name} WHERE seq = :s"), {"s": last_seq})  # noqa: S608
    else:  # an empty year: the chain ends where the earlier archived years did
        last_seq, last_hash = (await conn.execute(_LAST_ARCHIVED)).first() or (0, "0" * 64)  # genesis
    await conn.execute(
        _RECORD_ARCHIVE,
        {"year": year, "events": events, "first_seq": first_seq, "last_seq": last_seq, "last_hash": last_hash},
    )


_SELF_KEY = "fk_ledger_entry_reverses_id_ledger_entry"


async def _money_referring_to(conn: AsyncConnection, year: int) -> list[tuple[str, int, str]]:
    """(label, count, table) of the rows still naming a ledger entry of the year."""
    out = []
    for table, column, label in LEDGER_REFERENCES:
        count = int(await conn.scalar(text(f"SELECT count(*) FROM public.{table} WHERE {column} = :y"), {"y": year}))  # noqa: S608
        if count:
            out.append((label, count, table))
    return out
