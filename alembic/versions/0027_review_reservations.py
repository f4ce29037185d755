"""review panels reserve money and take objections (issue 27): a dissolved panel's reason, and a reallocation
after an upheld objection may belong to a review panel instead of a voting round

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_panel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("reallocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_panel_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("round_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_index(batch_op.f("ix_reallocation_review_panel_id"), ["review_panel_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_reallocation_review_panel_id_review_panel"), "review_panel",
                                    ["review_panel_id"], ["id"])


def downgrade() -> None:
    op.execute("DELETE FROM reallocation WHERE round_id IS NULL")
    with op.batch_alter_table("reallocation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reallocation_review_panel_id_review_panel"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_reallocation_review_panel_id"))
        batch_op.alter_column("round_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("review_panel_id")
    with op.batch_alter_table("review_panel", schema=None) as batch_op:
        batch_op.drop_column("status_reason")
