"""Notice tables: administrator calendars, notices with their project items, objections, confirmations."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.funds.models import entry_key, entry_year_column
from app.programmes.enums import ProjectCategory, ProjectType

TEXT_MAX = 1000


class NoticeKind(StrEnum):
    """What a notice announces."""

    selection = "selection"  # the projects a resident vote selected (项目公示)
    meeting = "meeting"  # an upcoming representative meeting (会议公告)
    award = "award"  # a district's evaluation results and awards (评估结果及表彰公示)


class NoticeStatus(StrEnum):
    """Stored state; whether it is open right now follows from the items' windows."""

    published = "published"
    concluded = "concluded"  # ended with no open objection; its remaining projects may be confirmed


class ItemStatus(StrEnum):
    """Where a project under notice stands."""

    under_notice = "under_notice"
    removed = "removed"  # an objection was upheld: the grant is cancelled
    back_to_deliberation = "back_to_deliberation"
    confirmed = "confirmed"  # 确定


class AwardKind(StrEnum):
    """What an award notice item grants (DOMAIN §5.9): each is objected to and withdrawn on its own."""

    project = "project"  # 优秀项目 and/or 以奖代补 of one project
    community = "community"  # 示范社区
    work_method = "work_method"  # 社区工作法


class ObjectionStatus(StrEnum):
    """An objection's handling."""

    open = "open"
    dismissed = "dismissed"
    upheld = "upheld"


class WorkCalendarYear(SQLModel, table=True):
    """An administrator-maintained working-day calendar for a year chinese-calendar does not cover yet."""

    __tablename__ = "work_calendar_year"

    year: int = Field(primary_key=True)
    holidays: list[str] = Field(sa_column=Column(JSON, nullable=False))
    workdays: list[str] = Field(sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=200)
    updated_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Notice(SQLModel, table=True):
    """A public notice (公示/公告) of a community: the projects a round selected, or an upcoming meeting."""

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="window_forward"),
        Index("ix_notice_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    kind: NoticeKind = Field(sa_type=str_enum(NoticeKind, 16))
    programme_id: uuid.UUID | None = Field(default=None, foreign_key="programme.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    round_id: uuid.UUID | None = Field(default=None, foreign_key="voting_round.id", unique=True)
    # Or the expert review panel (公益微创投) whose selection is under notice.
    review_panel_id: uuid.UUID | None = Field(default=None, foreign_key="review_panel.id", unique=True)
    meeting_id: uuid.UUID | None = Field(default=None, foreign_key="meeting.id", index=True)
    title: str = Field(max_length=200)
    body: str | None = Field(default=None, max_length=4000)
    # How to object besides the online form: the office's phone and address (书面、来电).
    how_to_object: str | None = Field(default=None, max_length=500)
    starts_on: date
    ends_on: date
    window_unit: str = Field(max_length=16)  # working_days | calendar_days | until_meeting
    window_days: int
    calendar_sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    assumed_weekdays: bool = False
    status: NoticeStatus = Field(default=NoticeStatus.published, sa_type=str_enum(NoticeStatus, 16), index=True)
    published_by: str | None = Field(default=None, max_length=64)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    concluded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    concluded_by: str | None = Field(default=None, max_length=64)


class NoticeItem(SQLModel, table=True):
    """A project under notice, with what Futian's and Luohu's notices show; its window restarts on a material change."""

    __tablename__ = "notice_item"
    __table_args__ = (
        UniqueConstraint("notice_id", "proposal_id"),
        CheckConstraint("amount_fen >= 0", name="amount_non_negative"),
        CheckConstraint("ends_on >= starts_on", name="window_forward"),
    )

    id: uuid.UUID = uuid_pk()
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    # An award to a community or a work method names no project.
    proposal_id: uuid.UUID | None = Field(default=None, foreign_key="proposal.id", index=True)
    number: int | None = None
    title: str = Field(max_length=100)
    project_type: ProjectType | None = Field(default=None, sa_type=str_enum(ProjectType, 16))
    category: ProjectCategory | None = Field(default=None, sa_type=str_enum(ProjectCategory, 32))
    # Award notices only: what is awarded, its key in the run's outputs (project, community or nomination id),
    # and the community it goes to (whose finance page the notice links).
    award_kind: AwardKind | None = Field(default=None, sa_type=str_enum(AwardKind, 16))
    award_key: str | None = Field(default=None, max_length=64)
    award_community_id: uuid.UUID | None = Field(default=None, foreign_key="region.id")
    summary: str = Field(max_length=TEXT_MAX * 4)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The pilot's sources as published: [{"kind", "payer", "planned_fen"}].
    funding_sources: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    implementer: str = Field(max_length=200)
    votes: int | None = None
    starts_on: date
    ends_on: date
    restarts: int = 0
    status: ItemStatus = Field(default=ItemStatus.under_notice, sa_type=str_enum(ItemStatus, 32), index=True)
    status_reason: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Objection(SQLModel, table=True):
    """An objection (异议) to a project under notice; the contact and address are never published."""

    __tablename__ = "objection"

    id: uuid.UUID = uuid_pk()
    notice_id: uuid.UUID = Field(foreign_key="notice.id", index=True)
    item_id: uuid.UUID = Field(foreign_key="notice_item.id", index=True)
    tracking_code: str = Field(max_length=20, unique=True)
    reason: str = Field(max_length=TEXT_MAX)
    contact: str | None = Field(default=None, max_length=100)
    submitted_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    client_digest: str | None = Field(default=None, max_length=64)
    status: ObjectionStatus = Field(default=ObjectionStatus.open, sa_type=str_enum(ObjectionStatus, 16), index=True)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    reply: str | None = Field(default=None, max_length=TEXT_MAX * 2)
    # Upheld: why (finding, or the proposer would not cooperate with the investigation) and what followed.
    upheld_ground: str | None = Field(default=None, max_length=32)
    upheld_action: str | None = Field(default=None, max_length=32)
    handled_by: str | None = Field(default=None, max_length=64)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reallocation(SQLModel, table=True):
    """A recomputation of a round's (or a review panel's) result after an upheld objection removed a project:
    who gained the money. Exactly one of round_id and review_panel_id is set."""

    __tablename__ = "reallocation"

    id: uuid.UUID = uuid_pk()
    round_id: uuid.UUID | None = Field(default=None, foreign_key="voting_round.id", index=True)
    review_panel_id: uuid.UUID | None = Field(default=None, foreign_key="review_panel.id", index=True)
    objection_id: uuid.UUID = Field(foreign_key="objection.id")
    removed_number: int
    newly_selected: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    explanation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()


class Confirmation(SQLModel, table=True):
    """The confirmed (确定) project after notice: final content, plan, budget, benefits, and its ledger commitment."""

    __tablename__ = "project_confirmation"
    __table_args__ = (entry_key("ledger_entry_id", "ledger_entry_year"),)

    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    notice_item_id: uuid.UUID = Field(foreign_key="notice_item.id", unique=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    title: str = Field(max_length=100)
    content: str = Field(max_length=TEXT_MAX * 4)
    plan: str = Field(max_length=TEXT_MAX * 4)
    benefits: str = Field(max_length=TEXT_MAX * 4)
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    implementer: str = Field(max_length=200)
    ledger_entry_id: uuid.UUID
    ledger_entry_year: int = Field(sa_column=entry_year_column())
    confirmed_by: str | None = Field(default=None, max_length=64)
    confirmed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
