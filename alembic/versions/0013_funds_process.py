"""funds and the process: per-source totals and draws, supplements, return targets, commitment basis

Fund sources keep their own received / committed / swept totals (with CHECKs like the pilot's) and who
gets their unspent money back; fund_draw records which source bears each commitment, return and reversal;
funds in beyond a plan are flagged as supplements; a project records whether its money came through the
notice or directly, and on which decision. Existing books are replayed into the new columns in the order
the service uses (carry-over, district subsidy, street matching, other public money, private money).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DRAW_ORDER = ("carry_over", "district_subsidy", "street_matching", "government_purchase", "community_welfare_fund",
              "community_foundation", "donation", "resident_contribution")
RETURNS_TO = {"district_subsidy": "district", "street_matching": "street", "carry_over": "district"}


def upgrade() -> None:
    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returns_to", sa.Enum("district", "street", "payer", "community",
                                                             name="returntarget", native_enum=False, length=16),
                                      nullable=True))
        for column in ("received_fen", "committed_fen", "swept_fen"):
            batch_op.add_column(sa.Column(column, sa.BigInteger(), server_default="0", nullable=False))
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplement", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("project_balance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.Enum("notice", "direct", name="commitmentbasis", native_enum=False,
                                                       length=16), server_default="notice", nullable=False))
        batch_op.add_column(sa.Column("decision_motion_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("decision_ref", sa.String(length=100), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_project_balance_decision_motion_id_motion"), "motion",
                                    ["decision_motion_id"], ["id"])
    op.create_table(
        "fund_draw",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("fund_source_id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_fund_draw_amount_non_zero")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"], name=op.f("fk_fund_draw_entry_id_ledger_entry")),
        sa.ForeignKeyConstraint(["fund_source_id"], ["fund_source.id"],
                                name=op.f("fk_fund_draw_fund_source_id_fund_source")),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"], name=op.f("fk_fund_draw_pilot_id_pilot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_draw")),
    )
    with op.batch_alter_table("fund_draw", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_draw_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_draw_fund_source_id"), ["fund_source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_draw_project_id"), ["project_id"], unique=False)

    _replay(op.get_bind())

    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.alter_column("returns_to", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint(op.f("ck_fund_source_source_non_negative"),
                                         "received_fen >= 0 AND committed_fen >= 0 AND swept_fen >= 0")
        batch_op.create_check_constraint(op.f("ck_fund_source_source_within_received"),
                                         "committed_fen + swept_fen <= received_fen")


def _replay(bind) -> None:
    """Fill the new columns from the books as they stand, with the service's own rules."""
    import uuid

    for kind, target in RETURNS_TO.items():
        bind.execute(sa.text("UPDATE fund_source SET returns_to = :t WHERE kind = :k"), {"t": target, "k": kind})
    bind.execute(sa.text("UPDATE fund_source SET returns_to = 'payer' WHERE returns_to IS NULL"))
    bind.execute(sa.text("UPDATE project_balance SET basis = 'direct' WHERE project_id NOT IN "
                         "(SELECT proposal_id FROM project_confirmation)"))
    source_t = sa.table("fund_source", sa.column("id", sa.Uuid()), sa.column("pilot_id", sa.Uuid()),
                        sa.column("kind", sa.String()), sa.column("dated", sa.Date()),
                        sa.column("created_at", sa.String()), sa.column("received_fen", sa.BigInteger()),
                        sa.column("committed_fen", sa.BigInteger()), sa.column("swept_fen", sa.BigInteger()))
    entry_t = sa.table("ledger_entry", *(sa.column(c, sa.Uuid()) for c in ("id", "pilot_id", "fund_source_id",
                                                                          "project_id", "reverses_id")),
                       sa.column("kind", sa.String()), sa.column("reverses_kind", sa.String()),
                       sa.column("amount_fen", sa.BigInteger()), sa.column("recorded_at", sa.String()))
    draw_t = sa.table("fund_draw", *(sa.column(c, sa.Uuid()) for c in ("id", "entry_id", "fund_source_id",
                                                                       "pilot_id", "project_id")),
                      sa.column("amount_fen", sa.BigInteger()))
    sources = defaultdict(list)
    for sid, pilot_id, kind, dated, created_at in bind.execute(sa.select(
            source_t.c.id, source_t.c.pilot_id, source_t.c.kind, source_t.c.dated, source_t.c.created_at)).all():
        sources[pilot_id].append((DRAW_ORDER.index(kind), str(dated), str(created_at), str(sid), sid))
    totals = defaultdict(lambda: {"received_fen": 0, "committed_fen": 0, "swept_fen": 0})
    by_project = defaultdict(lambda: defaultdict(int))
    draws_of: dict = {}
    rows = []
    c = entry_t.c
    entries = bind.execute(sa.select(c.id, c.pilot_id, c.kind, c.amount_fen, c.fund_source_id, c.project_id,
                                     c.reverses_id, c.reverses_kind).order_by(c.recorded_at, c.id)).all()
    for eid, pilot_id, kind, amount, source_id, project_id, reverses_id, reverses_kind in entries:
        ordered = [row[-1] for row in sorted(sources[pilot_id])]
        shares = []
        if kind == "funds_in" or (kind == "reversal" and reverses_kind == "funds_in"):
            totals[source_id]["received_fen"] += amount if kind == "funds_in" else -amount
        elif kind in ("sweep", "carry_over", "commitment"):
            left = amount
            for sid in ordered:
                t = totals[sid]
                take = min(max(t["received_fen"] - t["committed_fen"] - t["swept_fen"], 0), left)
                left -= take
                if kind == "commitment" and take:
                    shares.append((sid, take))
                else:
                    t["swept_fen"] += take
        elif kind == "return":
            left = amount
            for sid in reversed(ordered):
                take = min(max(by_project[project_id][sid], 0), left)
                if take:
                    shares.append((sid, -take))
                    left -= take
        elif kind == "reversal" and reverses_kind in ("commitment", "return"):
            shares = [(sid, -share) for sid, share in draws_of.get(reverses_id, [])]
        draws_of[eid] = shares
        for sid, share in shares:
            totals[sid]["committed_fen"] += share
            by_project[project_id][sid] += share
            rows.append({"id": uuid.uuid4(), "entry_id": eid, "fund_source_id": sid, "pilot_id": pilot_id,
                         "project_id": project_id, "amount_fen": share})
    if rows:
        bind.execute(draw_t.insert(), rows)
    for sid, t in totals.items():
        bind.execute(source_t.update().where(source_t.c.id == sid).values(**t))


def downgrade() -> None:
    with op.batch_alter_table("fund_draw", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_draw_project_id"))
        batch_op.drop_index(batch_op.f("ix_fund_draw_fund_source_id"))
        batch_op.drop_index(batch_op.f("ix_fund_draw_entry_id"))
    op.drop_table("fund_draw")
    with op.batch_alter_table("project_balance", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_project_balance_decision_motion_id_motion"), type_="foreignkey")
        batch_op.drop_column("decision_ref")
        batch_op.drop_column("decision_motion_id")
        batch_op.drop_column("basis")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("supplement")
    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_fund_source_source_within_received"), type_="check")
        batch_op.drop_constraint(op.f("ck_fund_source_source_non_negative"), type_="check")
        for column in ("swept_fen", "committed_fen", "received_fen", "returns_to"):
            batch_op.drop_column(column)
