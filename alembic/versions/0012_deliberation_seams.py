"""deliberation seams: an item decided before everyone present voted records how many had not and why;
representatives of the same name are told apart by unit or phone (a keyed digest and a mask)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_UNIT = "00000000-0000-0000-0000-000000000000"
ACTIVE = sa.text("active")
ACTIVE_WITH_PHONE = sa.text("active AND phone_digest IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("votes_missing", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("incomplete_reason", sa.String(length=300), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_motion_votes_missing_counted"),
            "votes_missing IS NULL OR votes_for + votes_against + votes_abstain + votes_missing = "
            "attendance_at_decision")
        batch_op.create_check_constraint(
            op.f("ck_motion_incomplete_has_reason"),
            "votes_missing IS NULL OR votes_missing = 0 OR incomplete_reason IS NOT NULL")

    with op.batch_alter_table("representative", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone_masked", sa.String(length=16), nullable=True))
        batch_op.drop_index("uq_representative_active_name", sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    # Outside the batch: an expression index is created as it is, never through a copied SQLite table.
    op.create_index("uq_representative_active_identity", "representative",
                    ["community_id", "name", sa.text(f"coalesce(unit_id, '{NO_UNIT}')"),
                     sa.text("coalesce(phone_digest, '')")],
                    unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index("uq_representative_active_phone", "representative", ["community_id", "name", "phone_digest"],
                    unique=True, sqlite_where=ACTIVE_WITH_PHONE, postgresql_where=ACTIVE_WITH_PHONE)


def downgrade() -> None:
    op.drop_index("uq_representative_active_phone", table_name="representative")
    op.drop_index("uq_representative_active_identity", table_name="representative")
    with op.batch_alter_table("representative", schema=None) as batch_op:
        batch_op.create_index("uq_representative_active_name", ["community_id", "name"], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_column("phone_masked")
        batch_op.drop_column("phone_digest")

    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_motion_incomplete_has_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_motion_votes_missing_counted"), type_="check")
        batch_op.drop_column("incomplete_reason")
        batch_op.drop_column("votes_missing")
