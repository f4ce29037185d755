"""receipts found by round (issue 32): the receipt index led by the round, legacy receipts' rounds kept aside

The unique (receipt_digest, programme_year) keys of ballot and ballot_history took one random page per ballot
when the close rewrote a round (half of the rewrite's cost). They become plain (round_id, receipt_digest)
indexes (ballot_history's round_id index is their prefix, so it goes): a receipt code now starts with its round's
hint (app/voting/rules.py receipt_hint), which finds the round, then the ballot in it. Receipts handed out before
this revision have no hint: their digests and rounds are copied into legacy_receipt, in digest order, in this
one transaction (no row of it follows a cast's order or time), and it is never written again.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ballot", "ballot_history")
UNIQUE = {t: f"uq_{t}_receipt_digest_programme_year" for t in TABLES}
BY_ROUND = {t: f"ix_{t}_round_id_receipt_digest" for t in TABLES}
# Every receipt handed out so far: a digest is in one of the two tables, once (both had it unique).
COPY_LEGACY = """INSERT INTO legacy_receipt (receipt_digest, round_id)
                 SELECT receipt_digest, round_id FROM ballot
                 UNION SELECT receipt_digest, round_id FROM ballot_history
                 ORDER BY 1"""


def upgrade() -> None:
    op.create_table(
        "legacy_receipt",
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["voting_round.id"], name=op.f("fk_legacy_receipt_round_id_voting_round")
        ),
        sa.PrimaryKeyConstraint("receipt_digest", name=op.f("pk_legacy_receipt")),
    )
    op.execute(COPY_LEGACY)
    if op.get_bind().dialect.name == "postgresql":
        # On the partitioned tables: each year's partition loses and gains its own copy.
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {UNIQUE[table]}")
            op.execute(f"CREATE INDEX {BY_ROUND[table]} ON {table} (round_id, receipt_digest)")
        op.execute("DROP INDEX ix_ballot_history_round_id")
        return
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(UNIQUE[table], type_="unique")
            if table == "ballot_history":
                batch_op.drop_index("ix_ballot_history_round_id")
            batch_op.create_index(BY_ROUND[table], ["round_id", "receipt_digest"])


def downgrade() -> None:
    # Receipts handed out since keep working: a code is found by its digest alone again.
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP INDEX {BY_ROUND[table]}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {UNIQUE[table]} UNIQUE (receipt_digest, programme_year)")
        op.execute("CREATE INDEX ix_ballot_history_round_id ON ballot_history (round_id)")
    else:
        for table in TABLES:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_index(BY_ROUND[table])
                batch_op.create_unique_constraint(UNIQUE[table], ["receipt_digest", "programme_year"])
                if table == "ballot_history":
                    batch_op.create_index("ix_ballot_history_round_id", ["round_id"])
    op.drop_table("legacy_receipt")
