"""notifications: notification.send_started_at, when a worker began handing a message to WeChat or the SMS gateway

Set (committed) just before the provider is called and cleared with the outcome: a delivery whose lease ran out
with it set was perhaps accepted by the provider, so it becomes `unknown` instead of being sent again
(docs/notifications.md). Existing rows get NULL: none is in a provider's hands after an upgrade.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("send_started_at")
