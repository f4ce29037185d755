"""awards under notice and paid through the ledger (issue 25): an award notice item may grant a community
(示范社区) or a work method (社区工作法) rather than a project, and names what it awards

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

Award notice items published before this revision were all project awards: they are marked so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPE = sa.Enum("services", "goods", "works", name="projecttype", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("notice_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("award_kind", sa.Enum("project", "community", "work_method", name="awardkind",
                                                            native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column("award_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("award_community_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notice_item_award_community_id_region"), "region",
                                    ["award_community_id"], ["id"])
        batch_op.alter_column("proposal_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column("project_type", existing_type=sa.String(length=16), nullable=True)
        batch_op.alter_column("category", existing_type=sa.String(length=32), nullable=True)
    # In Python, so the key is the same text (with hyphens) on SQLite, which stores UUIDs as bare hex.
    item = sa.table("notice_item", sa.column("id", sa.Uuid()), sa.column("notice_id", sa.Uuid()),
                    sa.column("proposal_id", sa.Uuid()), sa.column("award_kind", sa.String(16)),
                    sa.column("award_key", sa.String(64)), sa.column("award_community_id", sa.Uuid()))
    notice = sa.table("notice", sa.column("id", sa.Uuid()), sa.column("kind", sa.String(16)))
    proposal = sa.table("proposal", sa.column("id", sa.Uuid()), sa.column("community_id", sa.Uuid()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(item.c.id, item.c.proposal_id, proposal.c.community_id)
                        .join(notice, notice.c.id == item.c.notice_id)
                        .join(proposal, proposal.c.id == item.c.proposal_id)
                        .where(notice.c.kind == "award")).all()
    for item_id, proposal_id, community_id in rows:
        bind.execute(sa.update(item).where(item.c.id == item_id).values(
            award_kind="project", award_key=str(proposal_id), award_community_id=community_id))


def downgrade() -> None:
    # Community and work-method awards have no project row to keep: they leave with the columns.
    op.execute(sa.text("DELETE FROM objection WHERE item_id IN (SELECT id FROM notice_item WHERE proposal_id IS NULL)"))
    op.execute(sa.text("DELETE FROM notice_item WHERE proposal_id IS NULL"))
    with op.batch_alter_table("notice_item", schema=None) as batch_op:
        batch_op.alter_column("category", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("project_type", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("proposal_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_notice_item_award_community_id_region"), type_="foreignkey")
        batch_op.drop_column("award_community_id")
        batch_op.drop_column("award_key")
        batch_op.drop_column("award_kind")
