"""secret ballot: the roll's vote marks (who voted, how) apart from the ballots (what was chosen); ballots
found by a keyed voter tag until the close, and by nothing after it; stored cast answers forgotten

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Existing data: each ballot's voter, channel, version, time, author and sheet reference become the voter's mark.
Ballots of rounds still running keep their ids and get their tag under the service's current secret key (the
same HMAC as app/voting/secrecy.py, written out here so this file never changes with the code). Ballots and
replaced versions of closed or cancelled rounds are written again under fresh ids in random order, untagged.
Stored answers of casts (Idempotency-Key) are deleted: they held choices in clear; a retry after the upgrade
casts again, which changes nothing but the receipt. Audit events recorded before this revision still name the
ballot and its receipt digest (the trail is append-only): see docs/security.md.
"""

import hashlib
import hmac
import random
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from app.common.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _table(name: str, **columns: sa.types.TypeEngine) -> sa.TableClause:
    """A table as this revision reads or writes it, typed so that ids, times and JSON convert on both backends."""
    return sa.table(name, *(sa.column(column, kind) for column, kind in columns.items()))


ID, TEXT, JSON, WHEN = sa.Uuid(), sa.String(), sa.JSON(), UTCDateTime()
ROUND = _table("voting_round", id=ID, status=TEXT)
OLD_BALLOT = _table("ballot", id=ID, round_id=ID, voter_key=TEXT, roll_entry_id=ID, channel=TEXT, choices=JSON,
                    choice_mask=sa.BigInteger(), receipt_digest=TEXT, version=sa.Integer(), cast_at=WHEN,
                    cast_by=TEXT, sheet_ref=TEXT)
OLD_HISTORY = _table("ballot_history", round_id=ID, choices=JSON, receipt_digest=TEXT)
MARK = _table("vote_mark", id=ID, round_id=ID, voter_key=TEXT, roll_entry_id=ID, channel=TEXT, casts=sa.Integer(),
              last_cast_at=WHEN, cast_by=TEXT, sheet_ref=TEXT)
BALLOT = _table("ballot", id=ID, round_id=ID, voter_tag=TEXT, choices=JSON, choice_mask=sa.BigInteger(),
                receipt_digest=TEXT)
HISTORY = _table("ballot_history", id=ID, round_id=ID, choices=JSON, receipt_digest=TEXT)
CHANNEL = sa.Enum("online", "paper", name="ballotchannel", native_enum=False, length=16)
RUNNING = ("scheduled",)
PATH_INDEX = {"postgresql_ops": {"path": "varchar_pattern_ops"}}


def _tagger():
    from app.core.config import get_settings  # the key of the service this database belongs to

    key = hmac.new(get_settings().secret_key.encode(), b"weishi/ballot-voter-tag/v1", hashlib.sha256).digest()
    return lambda round_id, voter_key: hmac.new(key, f"{round_id}:{voter_key}".encode(), hashlib.sha256).hexdigest()


def _new_ballot_tables() -> None:
    op.create_table(
        "ballot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("voter_tag", sa.String(length=64), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("choice_mask", sa.BigInteger(), nullable=False),
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["voting_round.id"], name=op.f("fk_ballot_round_id_voting_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("receipt_digest", name=op.f("uq_ballot_receipt_digest")),
        sa.UniqueConstraint("round_id", "voter_tag", name=op.f("uq_ballot_round_id_voter_tag")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index("ix_ballot_round_id_choice_mask", ["round_id", "choice_mask"], unique=False)
    op.create_table(
        "ballot_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["voting_round.id"],
                                name=op.f("fk_ballot_history_round_id_voting_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_history")),
        sa.UniqueConstraint("receipt_digest", name=op.f("uq_ballot_history_receipt_digest")),
    )
    with op.batch_alter_table("ballot_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_history_round_id"), ["round_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "vote_mark",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("voter_key", sa.String(length=140), nullable=False),
        sa.Column("roll_entry_id", sa.Uuid(), nullable=False),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("casts", sa.Integer(), nullable=False),
        sa.Column("last_cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cast_by", sa.String(length=64), nullable=True),
        sa.Column("sheet_ref", sa.String(length=50), nullable=True),
        sa.CheckConstraint("casts >= 1", name=op.f("ck_vote_mark_casts_positive")),
        sa.ForeignKeyConstraint(["roll_entry_id"], ["voter_roll_entry.id"],
                                name=op.f("fk_vote_mark_roll_entry_id_voter_roll_entry")),
        sa.ForeignKeyConstraint(["round_id"], ["voting_round.id"], name=op.f("fk_vote_mark_round_id_voting_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_mark")),
        sa.UniqueConstraint("round_id", "voter_key", name=op.f("uq_vote_mark_round_id_voter_key")),
    )
    with op.batch_alter_table("vote_mark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_mark_roll_entry_id"), ["roll_entry_id"], unique=False)

    conn = op.get_bind()
    status = dict(conn.execute(sa.select(ROUND.c.id, ROUND.c.status)).all())
    ballots = conn.execute(sa.select(OLD_BALLOT)).mappings().all()
    history = conn.execute(sa.select(OLD_HISTORY)).mappings().all()
    if ballots:
        conn.execute(sa.insert(MARK), [
            {"id": uuid.uuid4(), "round_id": b["round_id"], "voter_key": b["voter_key"],
             "roll_entry_id": b["roll_entry_id"], "channel": b["channel"], "casts": b["version"],
             "last_cast_at": b["cast_at"], "cast_by": b["cast_by"], "sheet_ref": b["sheet_ref"]} for b in ballots])

    op.drop_table("ballot_history")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index("ix_ballot_round_id_choice_mask")
        batch_op.drop_index(batch_op.f("ix_ballot_roll_entry_id"))
    op.drop_table("ballot")
    _new_ballot_tables()

    running = [b for b in ballots if status[b["round_id"]] in RUNNING]
    tag = _tagger() if running else None
    shuffle = random.SystemRandom().shuffle
    kept = [{"id": b["id"], "round_id": b["round_id"], "voter_tag": tag(b["round_id"], b["voter_key"]),
             "choices": b["choices"], "choice_mask": b["choice_mask"], "receipt_digest": b["receipt_digest"]}
            for b in running]
    ended = [{"id": uuid.uuid4(), "round_id": b["round_id"], "voter_tag": None, "choices": b["choices"],
              "choice_mask": b["choice_mask"], "receipt_digest": b["receipt_digest"]}
             for b in ballots if status[b["round_id"]] not in RUNNING]
    shuffle(ended)
    replaced = [{"id": uuid.uuid4(), "round_id": h["round_id"], "choices": h["choices"],
                 "receipt_digest": h["receipt_digest"]} for h in history]
    shuffle(replaced)
    for table, rows in ((BALLOT, kept + ended), (HISTORY, replaced)):
        if rows:
            conn.execute(sa.insert(table), rows)

    conn.execute(sa.text("DELETE FROM idempotency_record WHERE path LIKE '/api/v1/voting/rounds/%/ballots%'"
                         " OR path LIKE '/api/v1/voting/rounds/%/paper-ballots%'"))
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_record_path", ["path"], unique=False, **PATH_INDEX)


def downgrade() -> None:
    # The links this revision cut cannot be put back: refuse while any ballot or mark exists.
    conn = op.get_bind()
    held = conn.execute(sa.text("SELECT (SELECT count(*) FROM ballot) + (SELECT count(*) FROM vote_mark)")).scalar()
    if held:
        raise RuntimeError(f"{held} ballots and vote marks exist; their voters cannot be put back on the ballots, "
                           "so 0016 cannot be downgraded")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_record_path", **PATH_INDEX)
    op.drop_table("ballot_history")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index("ix_ballot_round_id_choice_mask")
    op.drop_table("ballot")
    op.drop_table("vote_mark")
    op.create_table(
        "ballot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("voter_key", sa.String(length=140), nullable=False),
        sa.Column("roll_entry_id", sa.Uuid(), nullable=False),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("choice_mask", sa.BigInteger(), nullable=False),
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cast_by", sa.String(length=64), nullable=True),
        sa.Column("sheet_ref", sa.String(length=50), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_ballot_version_positive")),
        sa.ForeignKeyConstraint(["roll_entry_id"], ["voter_roll_entry.id"],
                                name=op.f("fk_ballot_roll_entry_id_voter_roll_entry")),
        sa.ForeignKeyConstraint(["round_id"], ["voting_round.id"], name=op.f("fk_ballot_round_id_voting_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("receipt_digest", name=op.f("uq_ballot_receipt_digest")),
        sa.UniqueConstraint("round_id", "voter_key", name=op.f("uq_ballot_round_id_voter_key")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_roll_entry_id"), ["roll_entry_id"], unique=False)
        batch_op.create_index("ix_ballot_round_id_choice_mask", ["round_id", "choice_mask"], unique=False)
    op.create_table(
        "ballot_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ballot_id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("roll_entry_id", sa.Uuid(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_history_ballot_id_ballot")),
        sa.ForeignKeyConstraint(["roll_entry_id"], ["voter_roll_entry.id"],
                                name=op.f("fk_ballot_history_roll_entry_id_voter_roll_entry")),
        sa.ForeignKeyConstraint(["round_id"], ["voting_round.id"],
                                name=op.f("fk_ballot_history_round_id_voting_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_history")),
        sa.UniqueConstraint("ballot_id", "version", name=op.f("uq_ballot_history_ballot_id_version")),
        sa.UniqueConstraint("receipt_digest", name=op.f("uq_ballot_history_receipt_digest")),
    )
    with op.batch_alter_table("ballot_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_history_ballot_id"), ["ballot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ballot_history_round_id"), ["round_id"], unique=False)
