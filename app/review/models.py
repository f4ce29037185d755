"""Review tables: a panel over a pilot's 公益微创投 applications, its experts, their conflict declarations and
scores; the pitch session (路演) is recorded on the panel."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, str_enum, utcnow


class PanelStatus(StrEnum):
    """open (experts score) → closed (ranked, funded, proposals moved); open → dissolved (called off, holds
    no money, its applications free for another panel)."""

    open = "open"
    closed = "closed"
    dissolved = "dissolved"


class ReviewPanel(SQLModel, table=True):
    """A review panel (评审委员会) for the 公益微创投 applications of one pilot community."""

    __tablename__ = "review_panel"
    __table_args__ = (CheckConstraint("budget_fen > 0", name="budget_positive"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    programme_id: uuid.UUID = Field(foreign_key="programme.id", index=True)
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id")
    region_path: str = Field(max_length=400, index=True)
    title: str = Field(max_length=100)
    rubric_version_id: uuid.UUID = Field(foreign_key="rubric_version.id")
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: PanelStatus = Field(default=PanelStatus.open, sa_type=str_enum(PanelStatus, 16))
    status_reason: str | None = Field(default=None, max_length=500)
    # 路演: when and where the applicants presented, and who presented for each application.
    pitch_on: date | None = None
    pitch_place: str | None = Field(default=None, max_length=200)
    pitch_presenters: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The selection rule as it stood at the close, with every application's standing.
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    closed_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewApplication(SQLModel, table=True):
    """An application before the panel, numbered in submission order, with its outcome once closed."""

    __tablename__ = "review_application"
    __table_args__ = (UniqueConstraint("panel_id", "number"),)

    panel_id: uuid.UUID = Field(foreign_key="review_panel.id", primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True, index=True)
    number: int
    title: str = Field(max_length=100)
    cost_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    applicant_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    review_mean: float | None = None
    standing: float | None = None
    selected: bool | None = None


class ReviewExpert(SQLModel, table=True):
    """An expert on the panel (a user with the evaluator role)."""

    __tablename__ = "review_expert"

    panel_id: uuid.UUID = Field(foreign_key="review_panel.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReviewConflict(SQLModel, table=True):
    """An expert's declaration (回避申报) that they are linked to an application: they may not score it."""

    __tablename__ = "review_conflict"

    panel_id: uuid.UUID = Field(foreign_key="review_panel.id", primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    reason: str = Field(max_length=500)
    declared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ReviewScore(SQLModel, table=True):
    """One expert's score of one application against the panel's rubric version; scoring again replaces it."""

    __tablename__ = "review_score"
    __table_args__ = (CheckConstraint("total BETWEEN 0 AND 100", name="total_range"),)

    panel_id: uuid.UUID = Field(foreign_key="review_panel.id", primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    # [{"criterion", "points", "comment"}] in the rubric's order.
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    total: int
    scored_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
