"""Implementation tables: who carries a confirmed project out, its milestones, and progress updates."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import created_at_field, str_enum, uuid_pk
from app.programmes.enums import ProjectCategory, ProjectType


class ImplementerKind(StrEnum):
    """Who implements a project (seed 000: the community, a social organisation, or a residents' team)."""

    community = "community"  # 社区（居委会）
    organisation = "organisation"  # 社会组织
    resident_team = "resident_team"  # 居民自组织 / 志愿队


class ImplementationStatus(StrEnum):
    """Where a project under way stands."""

    in_progress = "in_progress"  # 实施中
    payment_stopped = "payment_stopped"  # 中期评估未通过或逾期：停止拨付
    rectification = "rectification"  # 整改中 (acceptance did not pass)
    accepted = "accepted"  # 已验收
    closed = "closed"  # 已结项
    terminated = "terminated"  # 已终止


class Implementation(SQLModel, table=True):
    """A confirmed project under way: its implementer, current budget and purpose, and where it stands."""

    __tablename__ = "implementation"
    __table_args__ = (
        Index("ix_implementation_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    title: str = Field(max_length=100)
    implementer_kind: ImplementerKind = Field(sa_type=str_enum(ImplementerKind, 16))
    implementer_name: str = Field(max_length=200)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    started_on: date
    started_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    # Current figures: the confirmed ones until an approved budget change replaces them.
    project_type: ProjectType = Field(sa_type=str_enum(ProjectType, 16))
    category: ProjectCategory = Field(sa_type=str_enum(ProjectCategory))
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    purpose: str = Field(max_length=8000)
    # The programme's instalments for this project type, copied at the start so later plans never apply.
    instalment_plan: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mid_term_due_on: date | None = None
    status: ImplementationStatus = Field(
        default=ImplementationStatus.in_progress, sa_type=str_enum(ImplementationStatus, 16), index=True
    )
    ended_on: date | None = None


class Milestone(SQLModel, table=True):
    """One step of the plan with its due date; done (with the date) or still open."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("proposal_id", "position"),)

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    position: int
    title: str = Field(max_length=200)
    due_on: date = Field(index=True)
    done_on: date | None = None
    done_by: str | None = Field(default=None, max_length=64)
    # A milestone dropped with a reason (at closure, or before), so the project can close without it.
    waived_reason: str | None = Field(default=None, max_length=500)
    waived_by: str | None = Field(default=None, max_length=64)


class ProgressUpdate(SQLModel, table=True):
    """A progress report with text and photos (the project's attachments), published on the notice board."""

    __tablename__ = "progress_update"

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestone.id")
    text: str = Field(max_length=4000)
    photo_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reported_on: date
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class Expenditure(SQLModel, table=True):
    """Money the implementer spent (支出): payee, amount, invoice, date and the budget line it belongs to."""

    __tablename__ = "expenditure"
    __table_args__ = (
        UniqueConstraint("proposal_id", "invoice_no"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="implementation.proposal_id", index=True)
    budget_line_id: uuid.UUID = Field(foreign_key="budget_line.id")
    budget_line: int  # its position in the proposal's budget, as staff and the public refer to it
    payee: str = Field(max_length=200)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    invoice_no: str = Field(max_length=50)
    spent_on: date
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
