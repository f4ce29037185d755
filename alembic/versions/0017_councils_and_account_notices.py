"""access findings (issue 24): council registrants tied to their roll entry, with the basis of their quota
group; notices to users of changes others made to their account

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Existing candidates: an invitation's group was set by staff (basis `staff`); a registrant's group was their own
word (basis `claimed`), which a council still registering must now have confirmed before its draw.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from app.common.models import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("council_participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_basis", sa.Enum("roll", "staff", "claimed", name="groupbasis",
                                                             native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column("roll_entry_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_council_participant_roll_entry_id_voter_roll_entry"),
                                    "voter_roll_entry", ["roll_entry_id"], ["id"])
    op.execute(sa.text("UPDATE council_participant SET group_basis = CASE WHEN source = 'invitation' "
                       "THEN 'staff' ELSE 'claimed' END WHERE \"group\" IS NOT NULL"))
    op.create_table(
        "user_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_notice_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_notice")),
    )
    with op.batch_alter_table("user_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_notice_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_notice_user_id"))
    op.drop_table("user_notice")
    with op.batch_alter_table("council_participant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_council_participant_roll_entry_id_voter_roll_entry"),
                                 type_="foreignkey")
        batch_op.drop_column("roll_entry_id")
        batch_op.drop_column("group_basis")
