"""the public proposal list of a programme from an index (issue 29): (programme_id, submitted_at) over submitted
proposals, so the list's count and its pages (newest first: the index read backwards, ties by id sorted within)
come from the index rather than from sorting the programme's every proposal for each page

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBMITTED = sa.text("submitted_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_proposal_public_programme",
        "proposal",
        ["programme_id", "submitted_at"],
        postgresql_where=SUBMITTED,
        sqlite_where=SUBMITTED,
    )


def downgrade() -> None:
    op.drop_index("ix_proposal_public_programme", table_name="proposal")
