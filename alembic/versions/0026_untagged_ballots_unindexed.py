"""the close's ballot rewrite (issue 32): the voter-tag index holds tagged ballots only

A unique index never compared NULL tags, so the constraint is the same; the close writes a round's ballots
untagged and no longer adds an entry per ballot to this index, which shrinks to the rounds still open.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAGGED = sa.text("voter_tag IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ballot_round_id_voter_tag", type_="unique")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index("uq_ballot_round_id_voter_tag", ["round_id", "voter_tag"], unique=True,
                              postgresql_where=TAGGED, sqlite_where=TAGGED)


def downgrade() -> None:
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index("uq_ballot_round_id_voter_tag")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_ballot_round_id_voter_tag", ["round_id", "voter_tag"])
