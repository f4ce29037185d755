"""Fund sources, ledger entries and the balance rows whose CHECK constraints hold the money invariants.

The ledger is the record; the balance rows are kept in step by one guarded UPDATE per write, in the
same transaction. Their CHECK constraints are the last line: whatever code path writes, PostgreSQL and
SQLite refuse a pilot committing more than it has or a project paying out more than it was granted.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.programmes.enums import ProjectCategory, ProjectType


class FundSourceKind(StrEnum):
    """Where a pilot's money comes from (seed 000 三(二)3(3), 四(二); 001 三(四))."""

    district_subsidy = "district_subsidy"  # 区财政补助
    street_matching = "street_matching"  # 镇街配套资金
    government_purchase = "government_purchase"  # 政府购买服务
    donation = "donation"  # 慈善捐赠
    community_foundation = "community_foundation"  # 社区基金会
    community_welfare_fund = "community_welfare_fund"  # 社区公益金
    resident_contribution = "resident_contribution"  # 居民自筹
    carry_over = "carry_over"  # 上年结转 (written by year end only)
    award_subsidy = "award_subsidy"  # 以奖代补奖励资金 (opened when an award list is final)


class ReturnTarget(StrEnum):
    """Who gets a source's unspent money back at year end (its funder, or as its agreement says)."""

    district = "district"  # 区财政
    street = "street"  # 街道
    payer = "payer"  # 出资方 (a donation or purchase returned under its agreement)
    community = "community"  # 社区公益金 (kept by the community under its agreement)


class CommitmentBasis(StrEnum):
    """What a project's commitment rests on: the process (vote, notice, confirmation) or a named decision."""

    notice = "notice"  # 公示期满确定
    direct = "direct"  # 直接安排: a passed motion of the representative meeting or a document (文件号)


class LedgerKind(StrEnum):
    """What an entry does; a reversal undoes exactly one earlier entry."""

    funds_in = "funds_in"
    commitment = "commitment"
    disbursement = "disbursement"
    return_ = "return"
    sweep = "sweep"
    carry_over = "carry_over"
    reversal = "reversal"


def _fen(nullable: bool = False) -> Column:
    return Column(BigInteger, nullable=nullable, default=0 if not nullable else None)


class FundSource(SQLModel, table=True):
    """One source of a pilot's money: who pays, under which document, on which date."""

    __tablename__ = "fund_source"
    __table_args__ = (
        CheckConstraint("planned_fen IS NULL OR planned_fen >= 0", name="planned_non_negative"),
        CheckConstraint("received_fen >= 0 AND committed_fen >= 0 AND swept_fen >= 0", name="source_non_negative"),
        # Per source, as per pilot: what is committed or moved out at year end was received.
        CheckConstraint("committed_fen + swept_fen <= received_fen", name="source_within_received"),
        # Per source, as per pilot: nothing is paid out beyond what the source bears of commitments.
        CheckConstraint("paid_fen >= 0 AND paid_fen <= committed_fen", name="source_paid_within_committed"),
    )

    id: uuid.UUID = uuid_pk()
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    kind: FundSourceKind = Field(sa_type=str_enum(FundSourceKind))
    payer: str = Field(max_length=200)
    document_ref: str = Field(max_length=100)
    dated: date
    # What the source is expected to bring (the district subsidy from the programme); funds in stop there
    # unless recorded as a supplement.
    planned_fen: int | None = Field(default=None, sa_column=_fen(nullable=True))
    note: str | None = Field(default=None, max_length=500)
    returns_to: ReturnTarget = Field(sa_type=str_enum(ReturnTarget, 16))
    # Running totals of this source, kept in step with the pilot's by guarded UPDATEs in the same transaction:
    # received = committed (net of returns) + uncommitted + swept (or carried over) at year end; paid <= committed.
    received_fen: int = Field(default=0, sa_column=_fen())
    committed_fen: int = Field(default=0, sa_column=_fen())
    swept_fen: int = Field(default=0, sa_column=_fen())
    # Of committed: paid out to implementers (fund_payment says which payment drew on which source).
    paid_fen: int = Field(default=0, sa_column=_fen())
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


def entry_key(column: str, year_column: str) -> ForeignKeyConstraint:
    """A reference to a ledger entry: its id and its programme year, since on PostgreSQL the ledger is partitioned
    by year and a referenced key must hold the partition key (docs/scaling.md)."""
    return ForeignKeyConstraint([column, year_column], ["ledger_entry.id", "ledger_entry.programme_year"])


def entry_year_column(nullable: bool = False) -> Column:
    return Column(SmallInteger, nullable=nullable)


def both_or_neither(column: str, year_column: str) -> CheckConstraint:
    """A nullable reference names its year exactly when it names an entry (a half-null key is not checked)."""
    return CheckConstraint(f"({column} IS NULL) = ({year_column} IS NULL)", name=f"{year_column}_with_entry")


_KINDS = "'funds_in', 'commitment', 'disbursement', 'return', 'sweep', 'carry_over', 'reversal'"


class LedgerEntry(SQLModel, table=True):
    """One append-only movement of money in integer fen; never updated, never deleted."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind_known"),
        CheckConstraint(
            "(kind = 'reversal' AND reverses_id IS NOT NULL AND reverses_kind IN "
            "('funds_in', 'commitment', 'disbursement', 'return')) OR "
            "(kind <> 'reversal' AND reverses_id IS NULL AND reverses_kind IS NULL)",
            name="reversal_link",
        ),
        CheckConstraint("kind <> 'funds_in' OR fund_source_id IS NOT NULL", name="funds_in_has_source"),
        CheckConstraint(
            "kind NOT IN ('commitment', 'disbursement', 'return') OR project_id IS NOT NULL",
            name="project_entry_has_project",
        ),
        Index("ix_ledger_entry_pilot_date", "pilot_id", "entry_date"),
        # A reversal undoes an entry of its own pilot, hence of its own year: the key (reverses_id, year) names
        # the reversed entry, and being unique it refuses a second reversal.
        UniqueConstraint("reverses_id", "programme_year"),
        entry_key("reverses_id", "programme_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The pilot's programme year: the partition key on PostgreSQL, part of the primary key on both backends.
    programme_year: int = Field(sa_column=Column(SmallInteger, primary_key=True, nullable=False, autoincrement=False))
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id")
    kind: LedgerKind = Field(sa_type=str_enum(LedgerKind, 16))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    entry_date: date
    fund_source_id: uuid.UUID | None = Field(default=None, foreign_key="fund_source.id", index=True)
    project_id: uuid.UUID | None = Field(default=None, index=True)
    # An entry is reversed at most once: the unique key (reverses_id, programme_year) refuses a second reversal.
    reverses_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    reverses_kind: LedgerKind | None = Field(default=None, sa_type=str_enum(LedgerKind, 16))
    # The other pilot of a year-end carry-over (next year's pilot).
    counterpart_pilot_id: uuid.UUID | None = Field(default=None, foreign_key="pilot.id")
    document_ref: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)
    # Funds in beyond the source's plan, recorded knowingly under a document (追加).
    supplement: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FundDraw(SQLModel, table=True):
    """The share of one commitment, return or reversal that a fund source bears (positive draws, negative gives
    back); a project's draws per source say where its returned money goes."""

    __tablename__ = "fund_draw"
    __table_args__ = (CheckConstraint("amount_fen <> 0", name="amount_non_zero"), entry_key("entry_id", "entry_year"))

    id: uuid.UUID = uuid_pk()
    entry_id: uuid.UUID = Field(index=True)
    entry_year: int = Field(sa_column=entry_year_column())
    fund_source_id: uuid.UUID = Field(foreign_key="fund_source.id", index=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id")
    project_id: uuid.UUID = Field(index=True)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))


class FundPayment(SQLModel, table=True):
    """The share of one payment (or of its reversal) that a fund source bears, positive paid, negative unpaid.

    A payment draws on the project's committed, unpaid money per source in the draw order (rules.DRAW_ORDER:
    carried-over money, the district subsidy, then the street's matching funds, ...). When a reversal of a
    commitment takes a source's share below what was paid from it, the excess is moved to the project's other
    sources by a pair of rows on that reversal (summing to zero). Per project and source, paid <= committed.
    """

    __tablename__ = "fund_payment"
    __table_args__ = (CheckConstraint("amount_fen <> 0", name="amount_non_zero"), entry_key("entry_id", "entry_year"))

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entry_id: uuid.UUID = Field(index=True)
    entry_year: int = Field(sa_column=entry_year_column())
    fund_source_id: uuid.UUID = Field(foreign_key="fund_source.id", index=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id")
    project_id: uuid.UUID = Field(index=True)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))


class PilotBalance(SQLModel, table=True):
    """A pilot's running totals; the CHECKs are the invariants the database enforces under concurrency."""

    __tablename__ = "pilot_balance"
    __table_args__ = (
        CheckConstraint(
            "funds_in_fen >= 0 AND committed_fen >= 0 AND returned_fen >= 0 AND disbursed_fen >= 0 "
            "AND transferred_out_fen >= 0",
            name="non_negative",
        ),
        CheckConstraint("returned_fen <= committed_fen", name="returned_within_committed"),
        CheckConstraint(
            "committed_fen - returned_fen + transferred_out_fen <= funds_in_fen", name="commitments_within_funds"
        ),
        CheckConstraint("disbursed_fen <= committed_fen - returned_fen", name="disbursed_within_committed"),
    )

    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", primary_key=True)
    funds_in_fen: int = Field(default=0, sa_column=_fen())
    committed_fen: int = Field(default=0, sa_column=_fen())
    # Unspent money a project gave back: it frees the commitment again.
    returned_fen: int = Field(default=0, sa_column=_fen())
    disbursed_fen: int = Field(default=0, sa_column=_fen())
    # Year end: swept back to the district or carried over to next year's pilot.
    transferred_out_fen: int = Field(default=0, sa_column=_fen())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ProjectBalance(SQLModel, table=True):
    """A project's commitment and payments; project_id links to proposals once they exist (issue #4)."""

    __tablename__ = "project_balance"
    __table_args__ = (
        CheckConstraint("committed_fen >= 0 AND returned_fen >= 0 AND disbursed_fen >= 0", name="non_negative"),
        CheckConstraint("disbursed_fen + returned_fen <= committed_fen", name="disbursed_within_commitment"),
    )

    project_id: uuid.UUID = Field(primary_key=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    title: str = Field(max_length=200)
    category: ProjectCategory = Field(sa_type=str_enum(ProjectCategory))
    project_type: ProjectType = Field(sa_type=str_enum(ProjectType, 16))
    # Set by the first commitment: through the process (notice) or direct, with the decision it names.
    basis: CommitmentBasis = Field(default=CommitmentBasis.notice, sa_type=str_enum(CommitmentBasis, 16))
    decision_motion_id: uuid.UUID | None = Field(default=None, foreign_key="motion.id")
    decision_ref: str | None = Field(default=None, max_length=100)
    committed_fen: int = Field(default=0, sa_column=_fen())
    returned_fen: int = Field(default=0, sa_column=_fen())
    disbursed_fen: int = Field(default=0, sa_column=_fen())
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
