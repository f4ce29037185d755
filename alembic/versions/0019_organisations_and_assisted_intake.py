"""organisations (issue 27): status and registration details, members, invitations, documents; proposals
entered by staff for a resident (assisted intake), 公益微创投 project plans and personnel budget lines

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07

Organisations that exist were registered by staff, who vouched for them: they start verified. Assignments
of evaluation campaigns gain a declared conflict of interest (回避申报).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.common.models import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_organisation_document_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["app_user.id"], name=op.f("fk_organisation_document_uploaded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_document")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_organisation_document_storage_name")),
    )
    with op.batch_alter_table("organisation_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_document_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "organisation_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("phone_digest", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("role", sa.Enum("owner", "member", name="memberrole", native_enum=False, length=16), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["app_user.id"], name=op.f("fk_organisation_invitation_invited_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_invitation_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_invitation")),
    )
    with op.batch_alter_table("organisation_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_invitation_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organisation_invitation_phone_digest"), ["phone_digest"], unique=False)

    op.create_table(
        "organisation_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Enum("owner", "member", name="memberrole", native_enum=False, length=16), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_organisation_member_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_organisation_member_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_member")),
    )
    with op.batch_alter_table("organisation_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_member_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_organisation_member_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conflict_declared_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("conflict_reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_personnel", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("pending", "verified", "suspended", name="organisationstatus", native_enum=False, length=16),
                nullable=False,
                server_default="verified",
            )
        )
        batch_op.add_column(sa.Column("registration_authority", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("legal_representative", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("service_area_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("status_changed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("status_changed_by", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_organisation_status"), ["status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_organisation_service_area_id_region"), "region", ["service_area_id"], ["id"]
        )

    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "intake_channel",
                sa.Enum(
                    "grid_leader",
                    "building_leader",
                    "wechat_group",
                    "paper_form",
                    "residents_talk",
                    "visit",
                    name="intakechannel",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("entered_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("proposer_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("proposer_phone_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("proposer_phone_masked", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("venture_plan", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_proposal_proposer_phone_digest"), ["proposer_phone_digest"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_proposal_entered_by_id_app_user"), "app_user", ["entered_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_proposal_entered_by_id_app_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_proposal_proposer_phone_digest"))
        batch_op.drop_column("venture_plan")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("proposer_phone_masked")
        batch_op.drop_column("proposer_phone_digest")
        batch_op.drop_column("proposer_name")
        batch_op.drop_column("entered_by_id")
        batch_op.drop_column("intake_channel")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_organisation_service_area_id_region"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_organisation_status"))
        batch_op.drop_column("status_changed_by")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("service_area_id")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("legal_representative")
        batch_op.drop_column("registration_authority")
        batch_op.drop_column("status")

    with op.batch_alter_table("budget_line", schema=None) as batch_op:
        batch_op.drop_column("is_personnel")

    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.drop_column("conflict_reason")
        batch_op.drop_column("conflict_declared_at")

    with op.batch_alter_table("organisation_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_member_organisation_id"))

    op.drop_table("organisation_member")
    with op.batch_alter_table("organisation_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_invitation_phone_digest"))
        batch_op.drop_index(batch_op.f("ix_organisation_invitation_organisation_id"))

    op.drop_table("organisation_invitation")
    with op.batch_alter_table("organisation_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_document_organisation_id"))

    op.drop_table("organisation_document")
