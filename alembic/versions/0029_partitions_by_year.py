"""partitions by programme year (issue 31): ballots and replaced ballot versions carry their round's programme
year; on PostgreSQL both tables become LIST-partitioned by it (one partition per year, app/common/partitions.py
creates the next ones), on SQLite they stay plain tables with the column

Existing rows are kept: each gets the year of its round's programme, the partitioned table is created beside
the old one with a partition for every programme year present and for this year and the next (Asia/Shanghai),
the rows are copied over, the old table dropped and the new one takes its name, keys and indexes. Every unique
key of a partitioned table must hold the partition key, so "one ballot per voter per round" becomes a unique
index on (round_id, voter_tag, programme_year) over tagged ballots (0026): the same rule, since a round belongs to
one programme year. Nothing references these tables by a foreign key.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "ballot": ("id", "round_id", "voter_tag", "choices", "choice_mask", "receipt_digest"),
    "ballot_history": ("id", "round_id", "choices", "receipt_digest"),
}
# (name, columns) of each table's unique keys and plain indexes, after and before.
NEW_UNIQUE = {
    "ballot": (("uq_ballot_receipt_digest_programme_year", ("receipt_digest", "programme_year")),),
    "ballot_history": (("uq_ballot_history_receipt_digest_programme_year", ("receipt_digest", "programme_year")),),
}
OLD_UNIQUE = {
    "ballot": (("uq_ballot_receipt_digest", ("receipt_digest",)),),
    "ballot_history": (("uq_ballot_history_receipt_digest", ("receipt_digest",)),),
}
INDEXES = {
    "ballot": (("ix_ballot_round_id_choice_mask", ("round_id", "choice_mask")),),
    "ballot_history": (("ix_ballot_history_round_id", ("round_id",)),),
}
# One ballot per voter per round, over tagged ballots only (0026: the close writes its ballots untagged).
TAGGED = sa.text("voter_tag IS NOT NULL")
NEW_TAGGED = ("uq_ballot_round_id_voter_tag_programme_year", ("round_id", "voter_tag", "programme_year"))
OLD_TAGGED = ("uq_ballot_round_id_voter_tag", ("round_id", "voter_tag"))
SET_YEAR = """UPDATE {table} t SET programme_year = p.year FROM voting_round r JOIN programme p ON p.id = r.programme_id
              WHERE r.id = t.round_id"""
THIS_YEAR = "EXTRACT(YEAR FROM now() AT TIME ZONE 'Asia/Shanghai')::int"


def _keys(table: str, unique: tuple, primary: tuple[str, ...], tagged: tuple[str, tuple[str, ...]]) -> None:
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(primary)})")
    for name, columns in unique:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({', '.join(columns)})")
    if table == "ballot":
        op.execute(f"CREATE UNIQUE INDEX {tagged[0]} ON ballot ({', '.join(tagged[1])}) WHERE voter_tag IS NOT NULL")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_round_id_voting_round "
               "FOREIGN KEY (round_id) REFERENCES voting_round (id)")
    for name, columns in INDEXES[table]:
        op.execute(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")


def _partition_pg(table: str, years: list[int]) -> None:
    columns = ", ".join(("programme_year", *COLUMNS[table]))
    op.execute(f"ALTER TABLE {table} ADD COLUMN programme_year smallint")
    op.execute(SET_YEAR.format(table=table))
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_unpartitioned")
    op.execute(f"CREATE TABLE {table} (LIKE {table}_unpartitioned INCLUDING DEFAULTS) PARTITION BY LIST (programme_year)")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN programme_year SET NOT NULL")
    for year in years:
        op.execute(f"CREATE TABLE {table}_y{year} PARTITION OF {table} FOR VALUES IN ({year})")
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_unpartitioned")  # noqa: S608
    op.execute(f"DROP TABLE {table}_unpartitioned")
    _keys(table, NEW_UNIQUE[table], ("id", "programme_year"), NEW_TAGGED)


def _unpartition_pg(table: str) -> None:
    columns = ", ".join(COLUMNS[table])
    op.execute(f"CREATE TABLE {table}_plain (LIKE {table} INCLUDING DEFAULTS)")
    op.execute(f"ALTER TABLE {table}_plain DROP COLUMN programme_year")
    op.execute(f"INSERT INTO {table}_plain ({columns}) SELECT {columns} FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")  # and its partitions; detached years (weishi_archive) stay where they are
    op.execute(f"ALTER TABLE {table}_plain RENAME TO {table}")
    _keys(table, OLD_UNIQUE[table], ("id",), OLD_TAGGED)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        years = sorted(bind.execute(sa.text(
            f"SELECT year FROM programme UNION SELECT {THIS_YEAR} UNION SELECT {THIS_YEAR} + 1")).scalars())
        for table in COLUMNS:
            _partition_pg(table, years)
        return
    for table in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("programme_year", sa.SmallInteger(), nullable=True))
        op.execute(f"""UPDATE {table} SET programme_year = (SELECT p.year FROM voting_round r
                       JOIN programme p ON p.id = r.programme_id WHERE r.id = {table}.round_id)""")  # noqa: S608
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("programme_year", existing_type=sa.SmallInteger(), nullable=False)
            for name, _ in OLD_UNIQUE[table]:
                batch_op.drop_constraint(name, type_="unique")
            for name, columns in NEW_UNIQUE[table]:
                batch_op.create_unique_constraint(name, list(columns))
            if table == "ballot":
                batch_op.drop_index(OLD_TAGGED[0])
                batch_op.create_index(NEW_TAGGED[0], list(NEW_TAGGED[1]), unique=True, sqlite_where=TAGGED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in COLUMNS:
            _unpartition_pg(table)
        return
    for table in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in NEW_UNIQUE[table]:
                batch_op.drop_constraint(name, type_="unique")
            for name, columns in OLD_UNIQUE[table]:
                batch_op.create_unique_constraint(name, list(columns))
            if table == "ballot":
                batch_op.drop_index(NEW_TAGGED[0])
                batch_op.create_index(OLD_TAGGED[0], list(OLD_TAGGED[1]), unique=True, sqlite_where=TAGGED)
            batch_op.drop_column("programme_year")
