"""Money after confirmation: disbursements by instalment, and budget changes with who approved them."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.funds.models import both_or_neither, entry_key, entry_year_column
from app.programmes.enums import ProjectCategory


class Disbursement(SQLModel, table=True):
    """A payment to the implementer (拨付) against one instalment; the money itself is its ledger entry."""

    __tablename__ = "disbursement"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        entry_key("ledger_entry_id", "ledger_entry_year"),
    )

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    instalment: int  # position in the project's instalment plan, from 1
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    paid_on: date
    ledger_entry_id: uuid.UUID = Field(unique=True)
    ledger_entry_year: int = Field(sa_column=entry_year_column())
    recorded_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class BudgetChangeState(StrEnum):
    """A budget change waits for a meeting when it is large; small ones apply at once."""

    awaiting_meeting = "awaiting_meeting"  # 待居民代表会议决定
    applied = "applied"
    rejected = "rejected"
    lapsed = "lapsed"  # still waiting when the project was accepted, closed or terminated: it can no longer apply


class BudgetChange(SQLModel, table=True):
    """A change of a project's budget, category or purpose (预算调整), with the decision behind it."""

    __tablename__ = "budget_change"
    __table_args__ = (
        entry_key("ledger_entry_id", "ledger_entry_year"),
        both_or_neither("ledger_entry_id", "ledger_entry_year"),
        # One change at a time per project waits for a meeting.
        Index(
            "uq_budget_change_open",
            "proposal_id",
            unique=True,
            sqlite_where=text("state = 'awaiting_meeting'"),
            postgresql_where=text("state = 'awaiting_meeting'"),
        ),
        CheckConstraint("new_budget_fen > 0", name="budget_positive"),
    )

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    state: BudgetChangeState = Field(sa_type=str_enum(BudgetChangeState, 16))
    old_budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    new_budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    old_category: ProjectCategory = Field(sa_type=str_enum(ProjectCategory))
    new_category: ProjectCategory = Field(sa_type=str_enum(ProjectCategory))
    old_purpose: str = Field(max_length=8000)
    new_purpose: str = Field(max_length=8000)
    reason: str = Field(max_length=2000)
    # Lines whose amount changes: [{"budget_line": position, "item", "old_fen", "new_fen"}]; null when none do.
    line_changes: list[dict] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    needs_meeting: bool
    # The passed (or failed) agenda item of the representative meeting that decided a large change.
    motion_id: uuid.UUID | None = Field(default=None, foreign_key="motion.id")
    requested_by: str | None = Field(default=None, max_length=64)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ledger_entry_id: uuid.UUID | None = None
    ledger_entry_year: int | None = Field(default=None, sa_column=entry_year_column(nullable=True))
    lapsed_reason: str | None = Field(default=None, max_length=500)
