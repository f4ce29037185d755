"""audit events partitioned by chain year (issue 31): each event carries the year the sealer gave it as it linked it
(0 while pending); on PostgreSQL audit_event becomes LIST-partitioned by it, the pending events in a partition of
their own; detached years leave their last link in audit_chain_archive, where verification then starts

Existing events get their chain year as the sealer would have given it: the running maximum, in seq order, of the
Shanghai year they occurred in (so seq and year rise together); pending ones get 0. The head records the year of
its link. Keys hold the partition key, as PostgreSQL requires: the primary key is (id, chain_year) and seq is
unique with its year, UNIQUE (seq, chain_year); seq alone stays unique because one sealer at a time, under the
head's row lock, hands out the next ones. Sealing moves a row from the pending partition to its year's, which
PostgreSQL runs as a delete and an insert: the append-only guard lets that delete through on the pending
partition only, and a row trigger there run after the statement (when the insert is done) refuses a pending
event gone without being sealed. The
TRUNCATE guard is made on every partition too (a statement trigger of the parent does not fire for a partition
truncated by name). On SQLite the table is rebuilt with the column and the same keys.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "id", "seq", "occurred_at", "actor_type", "actor_id", "actor_label", "action", "entity_type", "entity_id",
    "region_path", "before", "after", "request_id", "ordinal", "prev_hash", "hash",
)
INDEXES = (
    ("ix_audit_event_action", "action"),
    ("ix_audit_event_actor_id", "actor_id"),
    ("ix_audit_event_entity_id", "entity_id"),
    ("ix_audit_event_entity_type", "entity_type"),
    ("ix_audit_event_occurred_at", "occurred_at"),
    ("ix_audit_event_region_path", "region_path"),
)
PENDING_INDEX = "CREATE INDEX ix_audit_event_pending ON audit_event (occurred_at, ordinal, id) WHERE seq IS NULL"
OLD_UNIQUE, NEW_UNIQUE = "uq_audit_event_seq", "uq_audit_event_seq_chain_year"
THIS_YEAR = "EXTRACT(YEAR FROM now() AT TIME ZONE 'Asia/Shanghai')::int"
CHAIN_YEAR = ("CASE WHEN seq IS NULL THEN 0 ELSE max(EXTRACT(YEAR FROM occurred_at AT TIME ZONE 'Asia/Shanghai')::int) "
              "OVER (ORDER BY seq) END")
# Everything but the chain columns; JSON has no equality, so it is compared as text (as 0011).
CONTENT = ("id", "occurred_at", "ordinal", "actor_type", "actor_id", "actor_label", "action", "entity_type",
           "entity_id", "region_path", "before::text", "after::text", "request_id")


def _row(side: str) -> str:
    return "ROW(" + ", ".join(f"{side}.{column}" for column in CONTENT) + ")"


def _guard(partitioned: bool) -> str:
    """The append-only function: sealing may link a pending event once (and, partitioned, move it out of the
    pending partition); nothing else changes or removes an event."""
    years = " AND OLD.chain_year = 0 AND NEW.chain_year > 0" if partitioned else ""
    move = """
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_event_pending' AND OLD.seq IS NULL THEN
            RETURN OLD;
        END IF;""" if partitioned else ""
    return f"""
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Sealing: a pending event gets its seq and hashes, once; its content stays as recorded.
        IF TG_OP = 'UPDATE' THEN
            IF OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
               AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL{years}
               AND {_row("NEW")} IS NOT DISTINCT FROM {_row("OLD")}
            THEN
                RETURN NEW;
            END IF;
        END IF;
        -- Sealing moves the event to its year's partition, a delete from the pending one (checked at commit).{move}
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
"""


LEFT_SEALED = """
    CREATE FUNCTION audit_event_left_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM public.audit_event WHERE id = OLD.id AND chain_year > 0 AND seq IS NOT NULL) THEN
            RAISE EXCEPTION 'audit_event is append-only: a pending event leaves only by being sealed'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$;
"""
ARCHIVE_APPEND_ONLY = """
    CREATE FUNCTION audit_chain_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_chain_archive is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
"""
NO_UPDATE_DELETE = """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                      FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"""
NO_TRUNCATE = """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"""


@contextmanager
def _new_key() -> Iterator[None]:
    """SQLite's batch copy warns that the primary key it reflected is replaced by the one given: that is the aim."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*specifies columns 'id' as primary_key", category=sa.exc.SAWarning)
        yield


def _archive_table() -> None:
    op.create_table(
        "audit_chain_archive",
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_audit_chain_archive")),
    )
    with op.batch_alter_table("audit_chain_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.SmallInteger(), server_default="0", nullable=False))


def _event_keys(partitioned: bool) -> None:
    key, unique = ("id, chain_year", (NEW_UNIQUE, "seq, chain_year")) if partitioned else ("id", (OLD_UNIQUE, "seq"))
    op.execute(f"ALTER TABLE audit_event ADD CONSTRAINT pk_audit_event PRIMARY KEY ({key})")
    op.execute(f"ALTER TABLE audit_event ADD CONSTRAINT {unique[0]} UNIQUE ({unique[1]})")
    for name, column in INDEXES:
        op.execute(f"CREATE INDEX {name} ON audit_event ({column})")
    op.execute(PENDING_INDEX)
    op.execute(NO_UPDATE_DELETE.format(table="audit_event"))
    op.execute(NO_TRUNCATE.format(table="audit_event"))


def _upgrade_pg(bind) -> None:
    years = sorted(bind.execute(sa.text(
        f"SELECT year FROM programme UNION SELECT {THIS_YEAR} UNION SELECT {THIS_YEAR} + 1 "
        f"UNION SELECT y FROM (SELECT {CHAIN_YEAR} AS y FROM audit_event) c WHERE y > 0")).scalars())  # noqa: S608
    columns = ", ".join(COLUMNS)
    op.execute(_guard(partitioned=True))
    op.execute(LEFT_SEALED)
    op.execute("ALTER TABLE audit_event RENAME TO audit_event_unpartitioned")
    op.execute("""CREATE TABLE audit_event (LIKE audit_event_unpartitioned INCLUDING DEFAULTS,
                  chain_year smallint NOT NULL DEFAULT 0) PARTITION BY LIST (chain_year)""")
    op.execute("CREATE TABLE audit_event_pending PARTITION OF audit_event FOR VALUES IN (0)")
    op.execute(NO_TRUNCATE.format(table="audit_event_pending"))
    op.execute("""CREATE TRIGGER audit_event_pending_sealed AFTER DELETE ON audit_event_pending
                  FOR EACH ROW EXECUTE FUNCTION audit_event_left_sealed()""")
    for y in years:
        op.execute(f"CREATE TABLE audit_event_y{y} PARTITION OF audit_event FOR VALUES IN ({y})")
        op.execute(NO_TRUNCATE.format(table=f"audit_event_y{y}"))
    op.execute(f"""INSERT INTO audit_event ({columns}, chain_year)
                   SELECT {columns}, {CHAIN_YEAR} FROM audit_event_unpartitioned""")  # noqa: S608
    op.execute("DROP TABLE audit_event_unpartitioned")  # its triggers and keys with it
    _event_keys(partitioned=True)
    op.execute("UPDATE audit_chain_head SET year = (SELECT coalesce(max(chain_year), 0) FROM audit_event)")
    op.execute(ARCHIVE_APPEND_ONLY)
    op.execute("""CREATE TRIGGER audit_chain_archive_append_only BEFORE UPDATE OR DELETE ON audit_chain_archive
                  FOR EACH ROW EXECUTE FUNCTION audit_chain_archive_append_only()""")
    op.execute("""CREATE TRIGGER audit_chain_archive_no_truncate BEFORE TRUNCATE ON audit_chain_archive
                  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_archive_append_only()""")


def _downgrade_pg() -> None:
    columns = ", ".join(COLUMNS)
    op.execute("CREATE TABLE audit_event_plain (LIKE audit_event INCLUDING DEFAULTS)")
    op.execute("ALTER TABLE audit_event_plain DROP COLUMN chain_year")
    op.execute(f"INSERT INTO audit_event_plain ({columns}) SELECT {columns} FROM audit_event")  # noqa: S608
    op.execute("DROP TABLE audit_event")  # and its partitions; detached years (weishi_archive) stay where they are
    op.execute("ALTER TABLE audit_event_plain RENAME TO audit_event")
    _event_keys(partitioned=False)
    op.execute("DROP FUNCTION audit_event_left_sealed()")
    op.execute(_guard(partitioned=False))
    op.execute("DROP TABLE audit_chain_archive")
    op.execute("DROP FUNCTION audit_chain_archive_append_only()")


def upgrade() -> None:
    bind = op.get_bind()
    _archive_table()
    if bind.dialect.name == "postgresql":
        _upgrade_pg(bind)
        return
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_year", sa.SmallInteger(), server_default="0", nullable=False))
    # Shanghai keeps UTC+8 all year; SQLite stores the UTC time without its zone.
    op.execute("""UPDATE audit_event SET chain_year = (SELECT w.y FROM (SELECT id, max(CAST(strftime('%Y', occurred_at,
                  '+8 hours') AS INTEGER)) OVER (ORDER BY seq) AS y FROM audit_event WHERE seq IS NOT NULL) w
                  WHERE w.id = audit_event.id) WHERE seq IS NOT NULL""")
    op.execute("UPDATE audit_chain_head SET year = (SELECT coalesce(max(chain_year), 0) FROM audit_event)")
    with _new_key(), op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(OLD_UNIQUE, type_="unique")
        batch_op.create_primary_key("pk_audit_event", ["id", "chain_year"])
        batch_op.create_unique_constraint(NEW_UNIQUE, ["seq", "chain_year"])


def downgrade() -> None:
    bind = op.get_bind()
    # What stays verifies from the archived years' anchor, which the older schema does not know: refuse.
    archived = bind.execute(sa.text("SELECT coalesce(sum(events), 0) FROM audit_chain_archive")).scalar()
    if archived:
        raise RuntimeError(f"{archived} audit events are archived; the schema before 0036 verifies from genesis "
                           "only: put the archived events back before downgrading past 0036")
    if bind.dialect.name == "postgresql":
        _downgrade_pg()
    else:
        with _new_key(), op.batch_alter_table("audit_event", schema=None) as batch_op:
            batch_op.drop_constraint(NEW_UNIQUE, type_="unique")
            batch_op.create_primary_key("pk_audit_event", ["id"])
            batch_op.drop_column("chain_year")
            batch_op.create_unique_constraint(OLD_UNIQUE, ["seq"])
        op.drop_table("audit_chain_archive")
    with op.batch_alter_table("audit_chain_head", schema=None) as batch_op:
        batch_op.drop_column("year")
