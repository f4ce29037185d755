"""implementation stages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The programme defaults of this release, written out so later changes to them never alter this migration.
DEFAULT_PLANS = {
    "services": [{"share_pct": 50, "gate": "agreement"}, {"share_pct": 50, "gate": "completion"}],
    "goods": [{"share_pct": 100, "gate": "acceptance"}],
    "works": [{"share_pct": 95, "gate": "progress"}, {"share_pct": 5, "gate": "acceptance"}],
}


def upgrade() -> None:
    op.create_table('acceptance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('representatives', sa.JSON(), nullable=False),
    sa.Column('representatives_passed', sa.Boolean(), nullable=False),
    sa.Column('representatives_opinion', sa.String(length=4000), nullable=False),
    sa.Column('expert_name', sa.String(length=100), nullable=True),
    sa.Column('expert_organisation', sa.String(length=200), nullable=True),
    sa.Column('expert_passed', sa.Boolean(), nullable=True),
    sa.Column('expert_opinion', sa.String(length=4000), nullable=True),
    sa.Column('survey_respondents', sa.Integer(), nullable=False),
    sa.Column('survey_satisfied', sa.Integer(), nullable=False),
    sa.Column('rectification_report', sa.String(length=8000), nullable=True),
    sa.Column('outcome', sa.Enum('accepted', 'rectification', name='acceptanceoutcome', native_enum=False, length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('survey_satisfied >= 0 AND survey_satisfied <= survey_respondents', name=op.f('ck_acceptance_survey_counts')),
    sa.ForeignKeyConstraint(['proposal_id'], ['implementation.proposal_id'], name=op.f('fk_acceptance_proposal_id_implementation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acceptance')),
    sa.UniqueConstraint('proposal_id', 'attempt', name=op.f('uq_acceptance_proposal_id_attempt'))
    )
    with op.batch_alter_table('acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acceptance_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('budget_change',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.Enum('awaiting_meeting', 'applied', 'rejected', name='budgetchangestate', native_enum=False), nullable=False),
    sa.Column('old_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('new_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('old_category', sa.Enum('inclusive_services', 'life_care', 'social_innovation', 'culture_sports', 'safety', 'environment', name='projectcategory', native_enum=False, length=32), nullable=False),
    sa.Column('new_category', sa.Enum('inclusive_services', 'life_care', 'social_innovation', 'culture_sports', 'safety', 'environment', name='projectcategory', native_enum=False, length=32), nullable=False),
    sa.Column('old_purpose', sa.String(length=8000), nullable=False),
    sa.Column('new_purpose', sa.String(length=8000), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('needs_meeting', sa.Boolean(), nullable=False),
    sa.Column('motion_id', sa.Uuid(), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ledger_entry_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint('new_budget_fen > 0', name=op.f('ck_budget_change_budget_positive')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_budget_change_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['motion_id'], ['motion.id'], name=op.f('fk_budget_change_motion_id_motion')),
    sa.ForeignKeyConstraint(['proposal_id'], ['implementation.proposal_id'], name=op.f('fk_budget_change_proposal_id_implementation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_change'))
    )
    with op.batch_alter_table('budget_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_change_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index('uq_budget_change_open', ['proposal_id'], unique=True, sqlite_where=sa.text("state = 'awaiting_meeting'"), postgresql_where=sa.text("state = 'awaiting_meeting'"))

    op.create_table('disbursement',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('instalment', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('ledger_entry_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_disbursement_amount_positive')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_disbursement_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['proposal_id'], ['implementation.proposal_id'], name=op.f('fk_disbursement_proposal_id_implementation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement')),
    sa.UniqueConstraint('ledger_entry_id', name=op.f('uq_disbursement_ledger_entry_id'))
    )
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('mid_term_review',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('self_evaluation', sa.String(length=8000), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.Enum('passed', 'failed', name='reviewoutcome', native_enum=False, length=16), nullable=True),
    sa.Column('review_note', sa.String(length=4000), nullable=True),
    sa.Column('resubmit_by', sa.Date(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['implementation.proposal_id'], name=op.f('fk_mid_term_review_proposal_id_implementation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mid_term_review')),
    sa.UniqueConstraint('proposal_id', 'attempt', name=op.f('uq_mid_term_review_proposal_id_attempt'))
    )
    with op.batch_alter_table('mid_term_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mid_term_review_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('project_closure',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('terminated', sa.Boolean(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=8000), nullable=False),
    sa.Column('outputs', sa.String(length=8000), nullable=True),
    sa.Column('beneficiaries', sa.Integer(), nullable=True),
    sa.Column('problems', sa.String(length=8000), nullable=True),
    sa.Column('returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('return_entry_id', sa.Uuid(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['implementation.proposal_id'], name=op.f('fk_project_closure_proposal_id_implementation')),
    sa.ForeignKeyConstraint(['return_entry_id'], ['ledger_entry.id'], name=op.f('fk_project_closure_return_entry_id_ledger_entry')),
    sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_project_closure'))
    )
    with op.batch_alter_table('implementation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_type', sa.Enum('services', 'goods', 'works', name='projecttype', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('category', sa.Enum('inclusive_services', 'life_care', 'social_innovation', 'culture_sports', 'safety', 'environment', name='projectcategory', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('budget_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.String(length=8000), nullable=True))
        batch_op.add_column(sa.Column('instalment_plan', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('mid_term_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Enum('in_progress', 'payment_stopped', 'rectification', 'accepted', 'closed', 'terminated', name='implementationstatus', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_implementation_status'), ['status'], unique=False)

    # Projects already under way take their figures from the confirmation and the default instalments.
    op.execute("UPDATE implementation SET status = 'in_progress', "
               "project_type = (SELECT p.project_type FROM proposal p WHERE p.id = implementation.proposal_id), "
               "category = (SELECT p.category FROM proposal p WHERE p.id = implementation.proposal_id), "
               "budget_fen = (SELECT c.budget_fen FROM project_confirmation c "
               "WHERE c.proposal_id = implementation.proposal_id), "
               "purpose = (SELECT c.content FROM project_confirmation c WHERE c.proposal_id = implementation.proposal_id)")
    for project_type, plan in DEFAULT_PLANS.items():
        statement = sa.text("UPDATE implementation SET instalment_plan = :plan WHERE project_type = :t")
        op.execute(statement.bindparams(sa.bindparam("plan", plan, type_=sa.JSON), t=project_type))
    with op.batch_alter_table('implementation', schema=None) as batch_op:
        for column in ('project_type', 'category', 'budget_fen', 'purpose', 'instalment_plan', 'status'):
            batch_op.alter_column(column, nullable=False)

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waived_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('waived_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('waived_by')
        batch_op.drop_column('waived_reason')

    with op.batch_alter_table('implementation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implementation_status'))
        batch_op.drop_column('ended_on')
        batch_op.drop_column('status')
        batch_op.drop_column('mid_term_due_on')
        batch_op.drop_column('instalment_plan')
        batch_op.drop_column('purpose')
        batch_op.drop_column('budget_fen')
        batch_op.drop_column('category')
        batch_op.drop_column('project_type')

    op.drop_table('project_closure')
    with op.batch_alter_table('mid_term_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mid_term_review_proposal_id'))

    op.drop_table('mid_term_review')
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursement_proposal_id'))

    op.drop_table('disbursement')
    with op.batch_alter_table('budget_change', schema=None) as batch_op:
        batch_op.drop_index('uq_budget_change_open', sqlite_where=sa.text("state = 'awaiting_meeting'"), postgresql_where=sa.text("state = 'awaiting_meeting'"))
        batch_op.drop_index(batch_op.f('ix_budget_change_proposal_id'))

    op.drop_table('budget_change')
    with op.batch_alter_table('acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acceptance_proposal_id'))

    op.drop_table('acceptance')
