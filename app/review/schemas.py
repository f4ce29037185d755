"""Request and response bodies of expert review."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.common.schemas import WriteModel
from app.evaluation.schemas import ScoreItemIn
from app.review.models import PanelStatus


class PanelCreate(WriteModel):
    """A panel over a pilot's 公益微创投 applications (screened or shortlisted), scored on a rubric's latest version."""

    pilot_id: uuid.UUID
    title: str = Field(min_length=1, max_length=100)
    rubric_id: uuid.UUID
    budget_fen: int = Field(gt=0, le=100_000_000_000, description="money the panel may award, in fen")
    proposal_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    expert_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class Presenter(WriteModel):
    """Who presented an application at the pitch session."""

    proposal_id: uuid.UUID
    presenter: str = Field(min_length=1, max_length=100)


class PitchWrite(WriteModel):
    """The pitch session (路演): date, place and who presented each application."""

    held_on: date
    place: str = Field(min_length=1, max_length=200)
    presenters: list[Presenter] = Field(default_factory=list, max_length=200)


class ConflictWrite(WriteModel):
    """An expert's declaration that they are linked to an application (回避申报)."""

    reason: str = Field(min_length=1, max_length=500)


class ReviewScoreWrite(WriteModel):
    """Points on every criterion of the panel's rubric."""

    items: list[ScoreItemIn] = Field(min_length=1, max_length=20)


class PanelDissolve(WriteModel):
    """Why an open panel is called off."""

    reason: str = Field(min_length=1, max_length=500)


class ReviewNoticeCreate(WriteModel):
    """Publish what a closed review selected."""

    starts_on: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    days: int | None = Field(default=None, ge=1, le=60, description="default and minimum: the programme's")
    how_to_object: str | None = Field(default=None, max_length=500, description="office phone and address")


class ApplicationRead(BaseModel):
    proposal_id: uuid.UUID
    number: int
    title: str
    cost_fen: int
    applicant_organisation_id: uuid.UUID | None
    review_mean: float | None = Field(description="trimmed mean of the experts' totals, once closed")
    standing: float | None = Field(description="review and vote weighed by the programme's selection rule")
    selected: bool | None


class PanelRead(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    pilot_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    rubric_version_id: uuid.UUID
    budget_fen: int
    status: PanelStatus
    status_reason: str | None = Field(default=None, description="why the panel was dissolved")
    pitch_on: date | None
    pitch_place: str | None
    pitch_presenters: list[dict[str, Any]] | None
    expert_ids: list[uuid.UUID]
    applications: list[ApplicationRead]
    result: dict[str, Any] | None
    created_at: datetime
    closed_at: datetime | None


class ReviewScoreRead(BaseModel):
    proposal_id: uuid.UUID
    items: list[dict[str, Any]]
    total: int
    scored_at: datetime


class PublicApplicationRead(BaseModel):
    number: int
    title: str
    cost_fen: int
    organisation: str | None = Field(description="the applicant social organisation's name")
    scores: int | None = Field(description="how many experts scored it (conflicted experts never do), once closed")
    review_mean: float | None = Field(description="the experts' mean after trimming the highest and lowest")
    standing: float | None = Field(description="review and vote weighed by the programme's selection rule")
    selected: bool | None = Field(description="funded now, after any upheld objection; null before the close")
    objection_upheld: bool = Field(description="withdrawn from the selection by an upheld objection under 公示")


class PublicPanelRead(BaseModel):
    """A review panel as the public reads it: no expert is named, no single expert's score is shown."""

    id: uuid.UUID
    title: str
    community_id: uuid.UUID
    community: str
    status: PanelStatus
    status_reason: str | None
    budget_fen: int
    experts: int = Field(description="the panel's size")
    method: str | None = Field(description="review or both, once closed")
    review_weight_pct: int | None
    trim_extremes: bool | None
    trim_min_scores: int | None
    pitch_on: date | None
    pitch_place: str | None
    closed_at: datetime | None
    selected_cost_fen: int | None
    notice_id: uuid.UUID | None
    applications: list[PublicApplicationRead]
