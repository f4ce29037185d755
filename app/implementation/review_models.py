"""Checks on a project under way: mid-term review (中期评估), acceptance (验收) and closure (结项)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk
from app.funds.models import both_or_neither, entry_key, entry_year_column


class ReviewOutcome(StrEnum):
    """A staff review's verdict; a late self-evaluation fails without one."""

    passed = "passed"
    failed = "failed"


class MidTermReview(SQLModel, table=True):
    """One attempt: the implementer's self-evaluation, then the staff review of it."""

    __tablename__ = "mid_term_review"
    __table_args__ = (UniqueConstraint("proposal_id", "attempt"),)

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    attempt: int
    due_on: date
    self_evaluation: str = Field(max_length=8000)
    submitted_on: date
    late: bool
    submitted_by: str | None = Field(default=None, max_length=64)
    outcome: ReviewOutcome | None = Field(default=None, sa_type=str_enum(ReviewOutcome, 16))
    review_note: str | None = Field(default=None, max_length=4000)
    # After a fail: the date by which a new self-evaluation is due; none means no further attempt.
    resubmit_by: date | None = None
    reviewed_by: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AcceptanceOutcome(StrEnum):
    """Accepted, or sent to rectification (整改) before it may close."""

    accepted = "accepted"
    rectification = "rectification"


class Acceptance(SQLModel, table=True):
    """One acceptance inspection: representatives' verdict, the expert's where configured, the resident survey."""

    __tablename__ = "acceptance"
    __table_args__ = (
        UniqueConstraint("proposal_id", "attempt"),
        CheckConstraint("survey_satisfied >= 0 AND survey_satisfied <= survey_respondents", name="survey_counts"),
    )

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    attempt: int
    held_on: date
    representatives: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    representatives_passed: bool
    representatives_opinion: str = Field(max_length=4000)
    expert_name: str | None = Field(default=None, max_length=100)
    expert_organisation: str | None = Field(default=None, max_length=200)
    expert_passed: bool | None = None
    expert_opinion: str | None = Field(default=None, max_length=4000)
    survey_respondents: int
    survey_satisfied: int
    rectification_report: str | None = Field(default=None, max_length=8000)
    outcome: AcceptanceOutcome = Field(sa_type=str_enum(AcceptanceOutcome, 16))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class Closure(SQLModel, table=True):
    """结项 or 终止: the completion report and what went back to the pilot."""

    __tablename__ = "project_closure"
    __table_args__ = (
        entry_key("return_entry_id", "return_entry_year"),
        both_or_neither("return_entry_id", "return_entry_year"),
    )

    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", primary_key=True)
    terminated: bool
    closed_on: date
    summary: str = Field(max_length=8000)
    outputs: str | None = Field(default=None, max_length=8000)
    beneficiaries: int | None = None
    problems: str | None = Field(default=None, max_length=8000)
    returned_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    return_entry_id: uuid.UUID | None = None
    return_entry_year: int | None = Field(default=None, sa_column=entry_year_column(nullable=True))
    closed_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
