"""Proposal tables: the proposal, its budget lines, attachments, screening results and survey notes."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Column, Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.programmes.enums import ProjectCategory, ProjectType
from app.proposals.enums import IntakeChannel, ProposalKind, ProposalState, ProposerKind, SurveyMethod

TEXT_MAX = 4000


class Proposal(SQLModel, table=True):
    """A proposal (提案) for a community and optionally one of its sub-units; totals come from its lines."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("total_fen >= 0", name="total_non_negative"),
        # A proposal the public may see must say when it was submitted; drafts never were.
        CheckConstraint("state = 'draft' OR state = 'withdrawn' OR submitted_at IS NOT NULL", name="submitted_at_set"),
        Index("ix_proposal_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
        # The public list of a programme (public_service.page_statements): its count and its pages (newest
        # first, read backwards, ties by id sorted within) from the index, not by sorting the programme's every
        # proposal for each page.
        Index(
            "ix_proposal_public_programme",
            "programme_id",
            "submitted_at",
            postgresql_where=text("submitted_at IS NOT NULL"),
            sqlite_where=text("submitted_at IS NOT NULL"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    programme_id: uuid.UUID = Field(foreign_key="programme.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    unit_id: uuid.UUID | None = Field(default=None, foreign_key="region.id")
    # The community's path, copied so "within my region" is one prefix test.
    region_path: str = Field(max_length=400)
    proposer_user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    proposer_kind: ProposerKind = Field(sa_type=str_enum(ProposerKind, 16))
    proposer_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    title: str = Field(max_length=100)
    kind: ProposalKind = Field(sa_type=str_enum(ProposalKind, 16))
    project_type: ProjectType = Field(sa_type=str_enum(ProjectType, 16))
    category: ProjectCategory = Field(sa_type=str_enum(ProjectCategory, 32))
    need: str = Field(max_length=TEXT_MAX)
    plan: str = Field(max_length=TEXT_MAX)
    benefits: str = Field(max_length=TEXT_MAX)
    total_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    state: ProposalState = Field(default=ProposalState.draft, sa_type=str_enum(ProposalState, 32), index=True)
    state_reason: str | None = Field(default=None, max_length=500)
    state_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Assisted intake: staff entered it for a named resident or group, who may claim it with their phone;
    # until then the staff member who entered it holds it as its proposer.
    intake_channel: IntakeChannel | None = Field(default=None, sa_type=str_enum(IntakeChannel, 16))
    entered_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    proposer_name: str | None = Field(default=None, max_length=100)
    proposer_phone_digest: str | None = Field(default=None, max_length=64, index=True)
    proposer_phone_masked: str | None = Field(default=None, max_length=20)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # 公益微创投 项目书: target group and size, service content and hours, outputs and outcome indicators.
    venture_plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class BudgetLine(SQLModel, table=True):
    """One line of a proposal's budget; its amount is quantity × unit price, checked by the database too."""

    __tablename__ = "budget_line"
    __table_args__ = (
        UniqueConstraint("proposal_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
        CheckConstraint("amount_fen = quantity * unit_price_fen", name="amount_is_product"),
    )

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    position: int
    item: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=20)
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    unit_price_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Staff pay, allowances and fees for people's time: none in 民生微实事 (办事不养人), a capped share in 公益微创投.
    is_personnel: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class ProposalAttachment(SQLModel, table=True):
    """A photo or PDF attached to a proposal; the bytes live on disk under a random name."""

    __tablename__ = "proposal_attachment"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    content_type: str = Field(max_length=50)
    original_name: str = Field(max_length=255)
    size_bytes: int
    sha256: str = Field(max_length=64)
    storage_name: str = Field(max_length=64, unique=True)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class ProposalScreening(SQLModel, table=True):
    """One screening (初审): the negative-list items it failed, the cap check, and the verdict."""

    __tablename__ = "proposal_screening"

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    passed: bool
    # [{code, label}] as the list read when screened, so later edits of the list do not rewrite history.
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    total_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    cap_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    over_cap: bool
    note: str | None = Field(default=None, max_length=1000)
    screened_by: str | None = Field(default=None, max_length=64)
    screened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SurveyNote(SQLModel, table=True):
    """A needs-survey finding (社情民意调研) recorded on a proposal by staff."""

    __tablename__ = "survey_note"
    __table_args__ = (CheckConstraint("respondents IS NULL OR respondents >= 0", name="respondents_non_negative"),)

    id: uuid.UUID = uuid_pk()
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    method: SurveyMethod = Field(sa_type=str_enum(SurveyMethod, 16))
    surveyed_on: date | None = None
    respondents: int | None = None
    findings: str = Field(max_length=TEXT_MAX)
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
