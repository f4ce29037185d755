"""money paid per fund source (issue 30): fund_source.paid_fen and fund_payment, which source each payment drew on

A payment spends the project's committed, unpaid money per source in the draw order (carried-over money, the
district subsidy, the street's matching funds, other public money, private money, award money); undoing a payment
takes back its own shares first; when a return or an undone commitment leaves a source paid beyond its share of
the project, the excess moves to the project's other sources in the same order. Existing books are replayed with
these rules, so every old payment has its sources and, per source, paid <= committed.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DRAW_ORDER = ("carry_over", "district_subsidy", "street_matching", "government_purchase", "community_welfare_fund",
              "community_foundation", "donation", "resident_contribution", "award_subsidy")


def upgrade() -> None:
    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paid_fen", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "fund_payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("fund_source_id", sa.Uuid(), nullable=False),
        sa.Column("pilot_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_fund_payment_amount_non_zero")),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entry.id"], name=op.f("fk_fund_payment_entry_id_ledger_entry")),
        sa.ForeignKeyConstraint(["fund_source_id"], ["fund_source.id"],
                                name=op.f("fk_fund_payment_fund_source_id_fund_source")),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"], name=op.f("fk_fund_payment_pilot_id_pilot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_payment")),
    )
    with op.batch_alter_table("fund_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_payment_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_payment_fund_source_id"), ["fund_source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fund_payment_project_id"), ["project_id"], unique=False)

    backfill(op.get_bind())

    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_fund_source_source_paid_within_committed"),
                                         "paid_fen >= 0 AND paid_fen <= committed_fen")


def _split(room: list[tuple], amount: int) -> list[tuple]:
    shares, left = [], amount
    for key, free in room:
        take = min(max(free, 0), left)
        if take:
            shares.append((key, take))
            left -= take
    if left:
        raise RuntimeError(f"fund_payment backfill: {left} fen paid beyond the project's committed money")
    return shares


def backfill(bind) -> None:
    """Replay every project's entries in the order they were recorded, attributing payments to sources."""
    source_t = sa.table("fund_source", sa.column("id", sa.Uuid()), sa.column("pilot_id", sa.Uuid()),
                        sa.column("kind", sa.String()), sa.column("dated", sa.Date()),
                        sa.column("created_at", sa.DateTime()), sa.column("paid_fen", sa.BigInteger()))
    entry_t = sa.table("ledger_entry", *(sa.column(c, sa.Uuid()) for c in ("id", "pilot_id", "project_id",
                                                                          "reverses_id")),
                       sa.column("kind", sa.String()), sa.column("reverses_kind", sa.String()),
                       sa.column("amount_fen", sa.BigInteger()), sa.column("recorded_at", sa.DateTime()))
    draw_t = sa.table("fund_draw", sa.column("entry_id", sa.Uuid()), sa.column("fund_source_id", sa.Uuid()),
                      sa.column("amount_fen", sa.BigInteger()))
    pay_t = sa.table("fund_payment", *(sa.column(c, sa.Uuid()) for c in ("id", "entry_id", "fund_source_id",
                                                                         "pilot_id", "project_id")),
                     sa.column("amount_fen", sa.BigInteger()))
    ordered = defaultdict(list)
    for sid, pilot_id, kind, dated, created_at in bind.execute(sa.select(
            source_t.c.id, source_t.c.pilot_id, source_t.c.kind, source_t.c.dated, source_t.c.created_at)).all():
        ordered[pilot_id].append((DRAW_ORDER.index(kind), str(dated), str(created_at), str(sid), sid))
    order = {pilot_id: [row[-1] for row in sorted(rows)] for pilot_id, rows in ordered.items()}
    draws = defaultdict(list)
    for entry_id, sid, amount in bind.execute(sa.select(draw_t.c.entry_id, draw_t.c.fund_source_id,
                                                        draw_t.c.amount_fen)).all():
        draws[entry_id].append((sid, int(amount)))
    c = entry_t.c
    entries = bind.execute(sa.select(c.id, c.pilot_id, c.project_id, c.kind, c.reverses_id, c.reverses_kind,
                                     c.amount_fen).where(c.project_id.is_not(None))
                           .order_by(c.recorded_at, c.id)).all()
    net = defaultdict(lambda: defaultdict(int))
    paid = defaultdict(lambda: defaultdict(int))
    own: dict = {}
    rows, totals = [], defaultdict(int)
    for eid, pilot_id, project_id, kind, reverses_id, reverses_kind, amount in entries:
        sources, n, p = order.get(pilot_id, []), net[project_id], paid[project_id]
        shares = []
        if kind == "disbursement":
            shares = _split([(s, n[s] - p[s]) for s in sources], int(amount))
        elif kind == "reversal" and reverses_kind == "disbursement":
            left, taken = int(amount), defaultdict(int)
            for s, share in own.get(reverses_id, []):
                take = min(share, max(p[s], 0), left)
                taken[s] += take
                left -= take
            for s, take in _split([(s, p[s] - taken[s]) for s in reversed(sources)], left) if left else []:
                taken[s] += take
            shares = [(s, -take) for s, take in taken.items() if take]
        else:
            for s, share in draws.get(eid, []):
                n[s] += share
            off = [(s, p[s] - n[s]) for s in sources if p[s] > n[s]]
            excess = sum(amount for _, amount in off)
            if excess:
                shares = [(s, -a) for s, a in off] + _split([(s, n[s] - p[s]) for s in sources], excess)
        own[eid] = shares
        for s, share in shares:
            p[s] += share
            totals[s] += share
            rows.append({"id": uuid.uuid4(), "entry_id": eid, "fund_source_id": s, "pilot_id": pilot_id,
                         "project_id": project_id, "amount_fen": share})
    if rows:
        bind.execute(pay_t.insert(), rows)
    for sid, total in totals.items():
        if total:
            bind.execute(source_t.update().where(source_t.c.id == sid).values(paid_fen=total))


def downgrade() -> None:
    with op.batch_alter_table("fund_source", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_fund_source_source_paid_within_committed"), type_="check")
        batch_op.drop_column("paid_fen")
    with op.batch_alter_table("fund_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_payment_project_id"))
        batch_op.drop_index(batch_op.f("ix_fund_payment_fund_source_id"))
        batch_op.drop_index(batch_op.f("ix_fund_payment_entry_id"))
    op.drop_table("fund_payment")
