"""award runs

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('award_run',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('computed', 'approved', 'published', 'final', 'discarded', name='runstate', native_enum=False, length=16), nullable=False),
    sa.Column('rule_version', sa.String(length=32), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('inputs_digest', sa.String(length=64), nullable=False),
    sa.Column('outputs', sa.JSON(), nullable=False),
    sa.Column('outputs_digest', sa.String(length=64), nullable=False),
    sa.Column('notice_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['evaluation_campaign.id'], name=op.f('fk_award_run_campaign_id_evaluation_campaign')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_award_run_notice_id_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_run')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_award_run_campaign_id_number'))
    )
    with op.batch_alter_table('award_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_run_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('uq_award_run_forward', ['campaign_id'], unique=True, sqlite_where=sa.text("state IN ('approved', 'published', 'final')"), postgresql_where=sa.text("state IN ('approved', 'published', 'final')"))



def downgrade() -> None:
    with op.batch_alter_table('award_run', schema=None) as batch_op:
        batch_op.drop_index('uq_award_run_forward', sqlite_where=sa.text("state IN ('approved', 'published', 'final')"), postgresql_where=sa.text("state IN ('approved', 'published', 'final')"))
        batch_op.drop_index(batch_op.f('ix_award_run_campaign_id'))

    op.drop_table('award_run')
