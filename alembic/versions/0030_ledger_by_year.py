"""ledger entries partitioned by programme year (issue 31): each entry carries its pilot's year, and so does every
reference to an entry; on PostgreSQL ledger_entry becomes LIST-partitioned by the year, on SQLite it stays a plain
table with the same keys

A referenced key of a partitioned table must hold the partition key, so the ledger's primary key becomes
(id, programme_year) and the six references to it become composite foreign keys on (entry id, entry year):
fund_draw, fund_payment, disbursement, budget_change, project_closure and project_confirmation. A reversal undoes
an entry of its own pilot, hence of its own year, so its reference is (reverses_id, programme_year) and the same
key, unique, still refuses a second reversal. Existing rows get their pilot's year. The append-only triggers
(0003) are made again on the partitioned table, and the TRUNCATE one on each partition as well (a statement
trigger of the parent does not fire for a partition truncated by name).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, entry column, year column, nullable)
REFERENCES = (
    ("fund_draw", "entry_id", "entry_year", False),
    ("fund_payment", "entry_id", "entry_year", False),
    ("disbursement", "ledger_entry_id", "ledger_entry_year", False),
    ("budget_change", "ledger_entry_id", "ledger_entry_year", True),
    ("project_closure", "return_entry_id", "return_entry_year", True),
    ("project_confirmation", "ledger_entry_id", "ledger_entry_year", False),
)
COLUMNS = (
    "id", "pilot_id", "kind", "amount_fen", "entry_date", "fund_source_id", "project_id", "reverses_id",
    "reverses_kind", "counterpart_pilot_id", "document_ref", "note", "supplement", "recorded_by", "recorded_at",
)
FKS = (
    ("fk_ledger_entry_pilot_id_pilot", "pilot_id", "pilot"),
    ("fk_ledger_entry_fund_source_id_fund_source", "fund_source_id", "fund_source"),
    ("fk_ledger_entry_counterpart_pilot_id_pilot", "counterpart_pilot_id", "pilot"),
)
INDEXES = (
    ("ix_ledger_entry_fund_source_id", "fund_source_id"),
    ("ix_ledger_entry_pilot_date", "pilot_id, entry_date"),
    ("ix_ledger_entry_project_id", "project_id"),
)
SELF_FK = "fk_ledger_entry_reverses_id_ledger_entry"
OLD_UNIQUE, NEW_UNIQUE = "uq_ledger_entry_reverses_id", "uq_ledger_entry_reverses_id_programme_year"
THIS_YEAR = "EXTRACT(YEAR FROM now() AT TIME ZONE 'Asia/Shanghai')::int"
ENTRY_YEAR = "(SELECT p.year FROM ledger_entry e JOIN pilot p ON p.id = e.pilot_id WHERE e.id = {table}.{column})"
NO_UPDATE_DELETE = """CREATE TRIGGER ledger_entry_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                      FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()"""
NO_TRUNCATE = """CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only()"""


@contextmanager
def _new_key() -> Iterator[None]:
    """SQLite's batch copy warns that the primary key it reflected is replaced by the one given: that is the aim."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*specifies columns 'id' as primary_key", category=sa.exc.SAWarning)
        yield


def _fk(table: str, column: str) -> str:
    return f"fk_{table}_{column}_ledger_entry"


def _check(table: str, year: str) -> str:
    return f"ck_{table}_{year}_with_entry"


def _ledger_keys(partitioned: bool) -> None:
    key = "id, programme_year" if partitioned else "id"
    unique = (NEW_UNIQUE, "reverses_id, programme_year") if partitioned else (OLD_UNIQUE, "reverses_id")
    op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT pk_ledger_entry PRIMARY KEY ({key})")
    op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT {unique[0]} UNIQUE ({unique[1]})")
    op.execute(
        f"ALTER TABLE ledger_entry ADD CONSTRAINT {SELF_FK} FOREIGN KEY ({unique[1]}) REFERENCES ledger_entry ({key})"
    )
    for name, column, target in FKS:
        op.execute(f"ALTER TABLE ledger_entry ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id)")
    for name, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON ledger_entry ({columns})")
    op.execute(NO_UPDATE_DELETE.format(table="ledger_entry"))
    op.execute(NO_TRUNCATE.format(table="ledger_entry"))


def _upgrade_pg(bind) -> None:
    years = sorted(bind.execute(sa.text(
        f"SELECT year FROM programme UNION SELECT {THIS_YEAR} UNION SELECT {THIS_YEAR} + 1")).scalars())
    for table, column, year, nullable in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_fk(table, column)}")
        op.execute(f"ALTER TABLE {table} ADD COLUMN {year} smallint")
        op.execute(f"UPDATE {table} SET {year} = {ENTRY_YEAR.format(table=table, column=column)}")  # noqa: S608
        if nullable:
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_check(table, year)} "
                       f"CHECK (({column} IS NULL) = ({year} IS NULL))")
        else:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {year} SET NOT NULL")
    columns = ", ".join(COLUMNS)
    op.execute("ALTER TABLE ledger_entry RENAME TO ledger_entry_unpartitioned")
    op.execute("""CREATE TABLE ledger_entry (LIKE ledger_entry_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                  programme_year smallint NOT NULL) PARTITION BY LIST (programme_year)""")
    for y in years:
        op.execute(f"CREATE TABLE ledger_entry_y{y} PARTITION OF ledger_entry FOR VALUES IN ({y})")
        op.execute(NO_TRUNCATE.format(table=f"ledger_entry_y{y}"))
    op.execute(f"""INSERT INTO ledger_entry ({columns}, programme_year)
                   SELECT {", ".join(f"e.{c}" for c in COLUMNS)}, p.year
                   FROM ledger_entry_unpartitioned e JOIN pilot p ON p.id = e.pilot_id""")  # noqa: S608
    op.execute("DROP TABLE ledger_entry_unpartitioned")  # its triggers and keys with it
    _ledger_keys(partitioned=True)
    for table, column, year, _ in REFERENCES:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_fk(table, column)} "
                   f"FOREIGN KEY ({column}, {year}) REFERENCES ledger_entry (id, programme_year)")


def _downgrade_pg() -> None:
    for table, column, year, nullable in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_fk(table, column)}")
        if nullable:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_check(table, year)}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {year}")
    columns = ", ".join(COLUMNS)
    op.execute("CREATE TABLE ledger_entry_plain (LIKE ledger_entry INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("ALTER TABLE ledger_entry_plain DROP COLUMN programme_year")
    op.execute(f"INSERT INTO ledger_entry_plain ({columns}) SELECT {columns} FROM ledger_entry")  # noqa: S608
    op.execute("DROP TABLE ledger_entry")  # and its partitions; detached years (weishi_archive) stay where they are
    op.execute("ALTER TABLE ledger_entry_plain RENAME TO ledger_entry")
    _ledger_keys(partitioned=False)
    for table, column, _, _ in REFERENCES:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_fk(table, column)} "
                   f"FOREIGN KEY ({column}) REFERENCES ledger_entry (id)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _upgrade_pg(bind)
        return
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("programme_year", sa.SmallInteger(), nullable=True))
    op.execute("UPDATE ledger_entry SET programme_year = (SELECT year FROM pilot WHERE pilot.id = ledger_entry.pilot_id)")
    for table, column, year, nullable in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(year, sa.SmallInteger(), nullable=True))
        op.execute(f"UPDATE {table} SET {year} = (SELECT programme_year FROM ledger_entry e "  # noqa: S608
                   f"WHERE e.id = {table}.{column})")
    with _new_key(), op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.alter_column("programme_year", existing_type=sa.SmallInteger(), nullable=False)
        batch_op.drop_constraint(SELF_FK, type_="foreignkey")
        batch_op.drop_constraint(OLD_UNIQUE, type_="unique")
        batch_op.create_primary_key("pk_ledger_entry", ["id", "programme_year"])
        batch_op.create_unique_constraint(NEW_UNIQUE, ["reverses_id", "programme_year"])
        batch_op.create_foreign_key(SELF_FK, "ledger_entry", ["reverses_id", "programme_year"],
                                    ["id", "programme_year"])
    for table, column, year, nullable in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_fk(table, column), type_="foreignkey")
            batch_op.create_foreign_key(_fk(table, column), "ledger_entry", [column, year], ["id", "programme_year"])
            if nullable:
                batch_op.create_check_constraint(_check(table, year), sa.text(f"({column} IS NULL) = ({year} IS NULL)"))
            else:
                batch_op.alter_column(year, existing_type=sa.SmallInteger(), nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_pg()
        return
    for table, column, year, nullable in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_fk(table, column), type_="foreignkey")
            if nullable:
                batch_op.drop_constraint(_check(table, year), type_="check")
            batch_op.drop_column(year)
            batch_op.create_foreign_key(_fk(table, column), "ledger_entry", [column], ["id"])
    with _new_key(), op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_constraint(SELF_FK, type_="foreignkey")
        batch_op.drop_constraint(NEW_UNIQUE, type_="unique")
        batch_op.create_primary_key("pk_ledger_entry", ["id"])
        batch_op.drop_column("programme_year")
        batch_op.create_unique_constraint(OLD_UNIQUE, ["reverses_id"])
        batch_op.create_foreign_key(SELF_FK, "ledger_entry", ["reverses_id"], ["id"])
