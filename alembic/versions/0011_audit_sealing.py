"""audit sealing: events are recorded pending (no seq, no hashes) and linked into the chain by the sealer;
the PostgreSQL guard lets an update do exactly that, once, and nothing else

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("seq IS NULL")
# Everything but the three chain columns; JSON has no equality, so it is compared as text.
CONTENT = ("id", "occurred_at", "ordinal", "actor_type", "actor_id", "actor_label", "action", "entity_type",
           "entity_id", "region_path", "before::text", "after::text", "request_id")


def _row(side: str) -> str:
    return "ROW(" + ", ".join(f"{side}.{column}" for column in CONTENT) + ")"


SEALING_GUARD = f"""
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Sealing: a pending event gets its seq and hashes, once; its content stays as recorded.
        IF TG_OP = 'UPDATE' THEN
            IF OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
               AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
               AND {_row("NEW")} IS NOT DISTINCT FROM {_row("OLD")}
            THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
"""
APPEND_ONLY = """
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ordinal", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_index("ix_audit_event_pending", ["occurred_at", "ordinal", "id"], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SEALING_GUARD)


def downgrade() -> None:
    # The older schema chains inside each write and cannot hold pending events: seal them first (start the
    # service, or read GET /api/v1/audit/verify).
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_event WHERE seq IS NULL")).scalar()
    if pending:
        raise RuntimeError(f"{pending} audit events are not sealed yet; seal them before downgrading past 0011")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_pending", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("ordinal")
