"""Evaluation tables: versioned rubrics, campaigns and their projects, assignments, scores with their history,
resident satisfaction ratings, and the streets' self-inspection reports with theirs."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk

TEXT_MAX = 4000


class Source(StrEnum):
    """Who evaluates (DOMAIN §7): residents rate, experts and third-party assessors score against the rubric."""

    resident = "resident"  # 居民评议 (satisfaction ratings)
    expert = "expert"  # 专家评议
    third_party = "third_party"  # 第三方评估


class ScoreStatus(StrEnum):
    """A score is the evaluator's working copy until submitted; submitted scores count."""

    draft = "draft"
    submitted = "submitted"


class Rubric(SQLModel, table=True):
    """A district's scoring rubric (评分细则); its criteria live in immutable versions."""

    __tablename__ = "rubric"

    id: uuid.UUID = uuid_pk()
    district_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    name: str = Field(max_length=100)
    latest_version: int = 1
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class RubricVersion(SQLModel, table=True):
    """One version of a rubric: criteria with their maximum points, adding up to 100; never changed."""

    __tablename__ = "rubric_version"
    __table_args__ = (
        UniqueConstraint("rubric_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("total_points = 100", name="total_is_100"),
    )

    id: uuid.UUID = uuid_pk()
    rubric_id: uuid.UUID = Field(foreign_key="rubric.id", index=True)
    version: int
    # [{"key", "name", "max_points", "description"}] in the order evaluators see them.
    criteria: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    total_points: int
    note: str | None = Field(default=None, max_length=500)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class EvaluationCampaign(SQLModel, table=True):
    """A district's annual evaluation of its programme's completed projects (年度评估)."""

    __tablename__ = "evaluation_campaign"
    __table_args__ = (
        # One annual evaluation per programme, so per district and year.
        UniqueConstraint("programme_id"),
        CheckConstraint("closes_on >= opens_on", name="window_forward"),
    )

    id: uuid.UUID = uuid_pk()
    programme_id: uuid.UUID = Field(foreign_key="programme.id")
    district_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    year: int
    title: str = Field(max_length=100)
    # The rubric version the campaign started with; later versions of the rubric do not touch it.
    rubric_version_id: uuid.UUID = Field(foreign_key="rubric_version.id")
    # EvaluationRule of the programme as laid down for this campaign: source weights, trimming, grade cut-offs.
    rule: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Dates in Asia/Shanghai, both included; scores lock at the end of closes_on.
    opens_on: date
    closes_on: date
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CampaignProject(SQLModel, table=True):
    """A completed project under evaluation, with what conflict-of-interest checks need copied in."""

    __tablename__ = "campaign_project"

    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id", primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True, index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    street_id: uuid.UUID = Field(foreign_key="region.id")
    region_path: str = Field(max_length=400)
    title: str = Field(max_length=100)
    implementer_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    added_by: str | None = Field(default=None, max_length=64)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Assignment(SQLModel, table=True):
    """A project given to an evaluator (expert review) or an assessor organisation (third-party assessment)."""

    __tablename__ = "evaluation_assignment"
    __table_args__ = (
        UniqueConstraint("campaign_id", "proposal_id", "assignee_key"),
        CheckConstraint("(evaluator_id IS NULL) <> (organisation_id IS NULL)", name="one_assignee"),
        ForeignKeyConstraint(
            ["campaign_id", "proposal_id"], ["campaign_project.campaign_id", "campaign_project.proposal_id"]
        ),
    )

    id: uuid.UUID = uuid_pk()
    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id", index=True)
    proposal_id: uuid.UUID = Field(index=True)
    source: Source = Field(sa_type=str_enum(Source, 16))
    evaluator_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    # "u:<user id>" or "o:<organisation id>": one assignment per assignee and project.
    assignee_key: str = Field(max_length=40)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    # A conflict of interest the assignee declared (回避申报): from then on they score it no more, and any score
    # they gave it counts for nothing.
    conflict_declared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    conflict_reason: str | None = Field(default=None, max_length=500)


class Score(SQLModel, table=True):
    """The current score of an assignment: a draft, or the latest submitted version."""

    __tablename__ = "evaluation_score"
    __table_args__ = (
        CheckConstraint("total_points >= 0 AND total_points <= 100", name="total_in_range"),
        CheckConstraint("version >= 0", name="version_non_negative"),
    )

    id: uuid.UUID = uuid_pk()
    assignment_id: uuid.UUID = Field(foreign_key="evaluation_assignment.id", unique=True)
    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id", index=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", index=True)
    source: Source = Field(sa_type=str_enum(Source, 16))
    status: ScoreStatus = Field(sa_type=str_enum(ScoreStatus, 16))
    # [{"criterion", "points", "comment"}] in the rubric's order.
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    total_points: int
    comment: str | None = Field(default=None, max_length=2000)
    # Submitted versions so far (0 while only a draft exists); earlier ones are in ScoreHistory.
    version: int = 0
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    saved_by: str | None = Field(default=None, max_length=64)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScoreHistory(SQLModel, table=True):
    """A submitted version a later amendment replaced; kept so the change is on record."""

    __tablename__ = "score_history"
    __table_args__ = (UniqueConstraint("score_id", "version"),)

    id: uuid.UUID = uuid_pk()
    score_id: uuid.UUID = Field(foreign_key="evaluation_score.id", index=True)
    version: int
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    total_points: int
    comment: str | None = Field(default=None, max_length=2000)
    submitted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    submitted_by: str | None = Field(default=None, max_length=64)
    superseded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SatisfactionRating(SQLModel, table=True):
    """A resident's rating of a completed project of their community (满意度), once per campaign."""

    __tablename__ = "satisfaction_rating"
    __table_args__ = (
        # Once per resident and project: the database decides between concurrent first ratings.
        UniqueConstraint("campaign_id", "proposal_id", "roll_entry_id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_in_range"),
        ForeignKeyConstraint(
            ["campaign_id", "proposal_id"], ["campaign_project.campaign_id", "campaign_project.proposal_id"]
        ),
    )

    id: uuid.UUID = uuid_pk()
    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id")
    proposal_id: uuid.UUID = Field(index=True)
    # Who rated stays inside the service: only the resident sees their own rating.
    roll_entry_id: uuid.UUID = Field(foreign_key="voter_roll_entry.id", index=True)
    rating: int
    comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SelfInspectionReport(SQLModel, table=True):
    """A street's self-inspection report (自查报告) for a campaign; amendments keep earlier versions."""

    __tablename__ = "self_inspection_report"
    __table_args__ = (UniqueConstraint("campaign_id", "street_id"),)

    id: uuid.UUID = uuid_pk()
    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id")
    street_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    work_done: str = Field(max_length=TEXT_MAX)  # 工作开展情况
    problems: str = Field(max_length=TEXT_MAX)  # 存在问题
    lessons: str = Field(max_length=TEXT_MAX)  # 经验做法
    rectification: str | None = Field(default=None, max_length=TEXT_MAX)  # 整改措施
    version: int = 1
    filed_by: str | None = Field(default=None, max_length=64)
    filed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SelfInspectionHistory(SQLModel, table=True):
    """A version of a self-inspection report that a later amendment replaced."""

    __tablename__ = "self_inspection_history"
    __table_args__ = (UniqueConstraint("report_id", "version"),)

    id: uuid.UUID = uuid_pk()
    report_id: uuid.UUID = Field(foreign_key="self_inspection_report.id", index=True)
    version: int
    work_done: str = Field(max_length=TEXT_MAX)
    problems: str = Field(max_length=TEXT_MAX)
    lessons: str = Field(max_length=TEXT_MAX)
    rectification: str | None = Field(default=None, max_length=TEXT_MAX)
    filed_by: str | None = Field(default=None, max_length=64)
    filed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    superseded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
