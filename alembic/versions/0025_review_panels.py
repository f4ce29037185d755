"""expert review (issue 27): review panels over 公益微创投 applications, their experts, conflict
declarations and scores; the pitch session (路演) lives on the panel

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-07 11:01:22.644218
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.common.models import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_panel",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("region_path", sa.String(length=400), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("rubric_version_id", sa.Uuid(), nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "status", sa.Enum("open", "closed", name="panelstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("pitch_on", sa.Date(), nullable=True),
        sa.Column("pitch_place", sa.String(length=200), nullable=True),
        sa.Column("pitch_presenters", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("budget_fen > 0", name=op.f("ck_review_panel_budget_positive")),
        sa.ForeignKeyConstraint(["community_id"], ["region.id"], name=op.f("fk_review_panel_community_id_region")),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"], name=op.f("fk_review_panel_pilot_id_pilot")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_review_panel_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"], ["rubric_version.id"], name=op.f("fk_review_panel_rubric_version_id_rubric_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_panel")),
    )
    with op.batch_alter_table("review_panel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_panel_pilot_id"), ["pilot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_panel_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_panel_region_path"), ["region_path"], unique=False)

    op.create_table(
        "review_application",
        sa.Column("panel_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("cost_fen", sa.BigInteger(), nullable=False),
        sa.Column("applicant_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("review_mean", sa.Float(), nullable=True),
        sa.Column("standing", sa.Float(), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_review_application_applicant_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["review_panel.id"], name=op.f("fk_review_application_panel_id_review_panel")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_review_application_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("panel_id", "proposal_id", name=op.f("pk_review_application")),
        sa.UniqueConstraint("panel_id", "number", name=op.f("uq_review_application_panel_id_number")),
    )
    with op.batch_alter_table("review_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_application_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "review_conflict",
        sa.Column("panel_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("declared_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["review_panel.id"], name=op.f("fk_review_conflict_panel_id_review_panel")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_review_conflict_proposal_id_proposal")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_review_conflict_user_id_app_user")),
        sa.PrimaryKeyConstraint("panel_id", "proposal_id", "user_id", name=op.f("pk_review_conflict")),
    )
    op.create_table(
        "review_expert",
        sa.Column("panel_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["panel_id"], ["review_panel.id"], name=op.f("fk_review_expert_panel_id_review_panel")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_review_expert_user_id_app_user")),
        sa.PrimaryKeyConstraint("panel_id", "user_id", name=op.f("pk_review_expert")),
    )
    op.create_table(
        "review_score",
        sa.Column("panel_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("scored_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("total BETWEEN 0 AND 100", name=op.f("ck_review_score_total_range")),
        sa.ForeignKeyConstraint(["panel_id"], ["review_panel.id"], name=op.f("fk_review_score_panel_id_review_panel")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_review_score_proposal_id_proposal")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_review_score_user_id_app_user")),
        sa.PrimaryKeyConstraint("panel_id", "proposal_id", "user_id", name=op.f("pk_review_score")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_panel_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_notice_review_panel_id"), ["review_panel_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_notice_review_panel_id_review_panel"), "review_panel", ["review_panel_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notice_review_panel_id_review_panel"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_notice_review_panel_id"), type_="unique")
        batch_op.drop_column("review_panel_id")
    op.drop_table("review_score")
    op.drop_table("review_expert")
    op.drop_table("review_conflict")
    with op.batch_alter_table("review_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_application_proposal_id"))

    op.drop_table("review_application")
    with op.batch_alter_table("review_panel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_panel_region_path"))
        batch_op.drop_index(batch_op.f("ix_review_panel_programme_id"))
        batch_op.drop_index(batch_op.f("ix_review_panel_pilot_id"))

    op.drop_table("review_panel")
