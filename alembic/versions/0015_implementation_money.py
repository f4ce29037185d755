"""implementation money: budget changes may move budget lines and lapse (with a reason) when the project is
accepted or ends

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns only: SQLite adds them in place, and existing changes moved no line and did not lapse.
    op.add_column("budget_change", sa.Column("line_changes", sa.JSON(none_as_null=True), nullable=True))
    op.add_column("budget_change", sa.Column("lapsed_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    # The older schema knows no lapsed state: such a change goes back to rejected, its reason kept in the trail.
    op.execute(sa.text("UPDATE budget_change SET state = 'rejected' WHERE state = 'lapsed'"))
    with op.batch_alter_table("budget_change", schema=None) as batch_op:
        batch_op.drop_column("lapsed_reason")
        batch_op.drop_column("line_changes")
