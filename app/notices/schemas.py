"""Request and response bodies of notices, objections, confirmations and calendars."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.notices.models import TEXT_MAX, AwardKind, ItemStatus, NoticeKind, NoticeStatus, ObjectionStatus
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.ruleset import MAX_AMOUNT_FEN


class SelectionNoticeCreate(WriteModel):
    """Publish what a closed round selected."""

    starts_on: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    days: int | None = Field(default=None, ge=1, le=60, description="default and minimum: the programme's")
    how_to_object: str | None = Field(default=None, max_length=500, description="office phone and address")
    implementers: dict[uuid.UUID, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict,
        max_length=60,
        description="proposal id → implementer (at most 200 characters); default: the proposing organisation, "
        "else the residents' committee",
    )


class MeetingNoticeCreate(WriteModel):
    """Announce an upcoming representative meeting."""

    starts_on: date | None = Field(default=None, description="default: today (Asia/Shanghai)")


class ItemChange(WriteModel):
    """A material change to a project under notice; its notice starts over."""

    amount_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    summary: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX * 4)
    implementer: DisplayText | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> "ItemChange":
        if self.amount_fen is None and self.summary is None and self.implementer is None:
            raise ValueError("change at least one of amount_fen, summary, implementer")
        return self


class ConfirmationCreate(WriteModel):
    """The project as finally confirmed (修改完善); omitted fields keep what was under notice."""

    content: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX * 4)
    plan: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX * 4)
    benefits: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX * 4)
    budget_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    implementer: DisplayText | None = Field(default=None, min_length=1, max_length=200)
    entry_date: date | None = Field(
        default=None,
        description="date of the ledger commitment; default today (Asia/Shanghai); must fall in the programme period",
    )


class ConfirmationRead(ReadModel):
    """A confirmed project and the ledger entry committing its budget."""

    proposal_id: uuid.UUID
    notice_item_id: uuid.UUID
    pilot_id: uuid.UUID
    title: str
    content: str
    plan: str
    benefits: str
    budget_fen: int
    implementer: str
    ledger_entry_id: uuid.UUID
    confirmed_at: datetime


class ObjectionCreate(WriteModel):
    """An objection to one project under notice; the contact is for the office only, never published."""

    item_id: uuid.UUID
    reason: str = Field(min_length=5, max_length=TEXT_MAX)
    contact: str | None = Field(default=None, max_length=100)


class ObjectionDecision(WriteModel):
    """The answer to an objection: dismissed, or upheld with what follows."""

    outcome: Literal["dismissed", "upheld"]
    reply: str = Field(min_length=1, max_length=TEXT_MAX * 2, description="published; no personal data")
    ground: Literal["finding", "non_cooperation"] | None = Field(
        default=None, description="upheld: the investigation's finding, or the proposer would not cooperate"
    )
    action: Literal["remove", "back_to_deliberation", "withdraw"] | None = Field(
        default=None,
        description="a project under a selection notice: remove or back_to_deliberation; an award "
        "(评估结果及表彰公示): withdraw",
    )

    @model_validator(mode="after")
    def _upheld_needs_action(self) -> "ObjectionDecision":
        if self.outcome == "upheld" and (self.ground is None or self.action is None):
            raise ValueError("an upheld objection needs ground and action")
        if self.outcome == "dismissed" and (self.ground or self.action):
            raise ValueError("a dismissed objection has no ground or action")
        return self


class PublicObjection(ReadModel):
    """An objection as the public sees it: reason, status and reply; nothing about who filed it."""

    id: uuid.UUID
    item_id: uuid.UUID
    reason: str
    status: ObjectionStatus
    submitted_at: datetime
    reply: str | None
    upheld_action: str | None
    handled_at: datetime | None


class StaffObjection(PublicObjection):
    """An objection in the staff queue, with the contact the objector left."""

    notice_id: uuid.UUID
    tracking_code: str
    contact: str | None
    upheld_ground: str | None


class ObjectionFiled(WriteModel):
    """What filing returns: keep the tracking code to follow the objection."""

    id: uuid.UUID
    tracking_code: str
    status: ObjectionStatus
    submitted_at: datetime


class ObjectionTrack(WriteModel):
    """An objection followed by its tracking code."""

    tracking_code: str
    notice_id: uuid.UUID
    project_title: str
    status: ObjectionStatus
    submitted_at: datetime
    reply: str | None
    handled_at: datetime | None


class NoticeItemRead(ReadModel):
    """A project under notice: what Futian's and Luohu's notices show; or, under an award notice, one award."""

    id: uuid.UUID
    proposal_id: uuid.UUID | None = Field(description="none for an award to a community or a work method")
    number: int | None
    title: str
    project_type: ProjectType | None
    category: ProjectCategory | None
    award_kind: AwardKind | None = Field(description="award notices: project | community | work_method")
    award_key: str | None = Field(description="award notices: the project, community or nomination id")
    award_community_id: uuid.UUID | None = Field(description="award notices: the community the award goes to")
    summary: str
    amount_fen: int
    funding_sources: list[dict[str, Any]]
    implementer: str
    votes: int | None
    starts_on: date
    ends_on: date
    restarts: int
    status: ItemStatus
    status_reason: str | None
    phase: str = Field(description="upcoming | open | ended")


class ReallocationRead(ReadModel):
    """Who gained the money an upheld objection freed, step by step."""

    objection_id: uuid.UUID
    removed_number: int
    newly_selected: list[int]
    explanation: dict[str, Any]
    created_at: datetime


class NoticeRead(WriteModel):
    """A notice with its projects, objections (public form) and reallocations."""

    id: uuid.UUID
    kind: NoticeKind
    community_id: uuid.UUID
    round_id: uuid.UUID | None
    review_panel_id: uuid.UUID | None = Field(default=None, description="the expert review (公益微创投) it publishes")
    meeting_id: uuid.UUID | None
    title: str
    body: str | None
    how_to_object: str | None
    starts_on: date
    ends_on: date
    window_unit: str
    window_days: int
    assumed_weekdays: bool
    calendar_note: str | None = Field(description="set when some year was counted as plain Monday–Friday")
    status: NoticeStatus
    phase: str
    published_at: datetime
    concluded_at: datetime | None
    items: list[NoticeItemRead]
    objections: list[PublicObjection]
    reallocations: list[ReallocationRead]


class CalendarPut(WriteModel):
    """A year's days off and adjusted workdays (调休), as the State Council publishes them."""

    holidays: list[Annotated[str, Field(max_length=10)]] = Field(
        max_length=120, description="YYYY-MM-DD days off that would be workdays"
    )
    workdays: list[Annotated[str, Field(max_length=10)]] = Field(
        max_length=60, description="YYYY-MM-DD weekend days that are workdays"
    )
    source: str | None = Field(default=None, max_length=200, description="e.g. 国办发明电〔2026〕x号")


class CalendarRead(ReadModel):
    """An administrator-maintained year."""

    year: int
    holidays: list[str]
    workdays: list[str]
    source: str | None
    updated_at: datetime
