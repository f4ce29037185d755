"""Request and response bodies of evaluation: rubrics, campaigns, assignments, scores, satisfaction,
self-inspection reports and progress. Points are whole numbers (整数分) from 0 to a criterion's maximum."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, model_validator

from app.common.schemas import Page, ReadModel, WriteModel
from app.common.strict import DisplayText
from app.evaluation.models import TEXT_MAX, ScoreStatus, Source
from app.evaluation.rules import RUBRIC_TOTAL
from app.programmes.ruleset import EvaluationWeights, GradeCutoffs, Percent

Points = Annotated[int, Field(ge=0, le=RUBRIC_TOTAL)]
CriterionKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$", examples=["need"])]
# Aggregates are exact decimals, shown as plain JSON numbers.
Stat = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
ProgressState = Literal["missing", "draft", "submitted", "late"]


class CriterionIn(WriteModel):
    """A criterion and the most points it can give."""

    key: CriterionKey
    name: DisplayText = Field(min_length=1, max_length=50, examples=["需求迫切性"])
    max_points: int = Field(ge=1, le=RUBRIC_TOTAL)
    description: str | None = Field(default=None, max_length=500)


class RubricVersionCreate(WriteModel):
    """A new version of a rubric; campaigns already under way keep the version they started with."""

    criteria: list[CriterionIn] = Field(
        min_length=1, max_length=20, description=f"maximum points add up to {RUBRIC_TOTAL}"
    )
    note: str | None = Field(default=None, max_length=500, description="what changed and why")


class RubricCreate(RubricVersionCreate):
    """A district's rubric with its first version."""

    district_id: uuid.UUID
    name: DisplayText = Field(min_length=1, max_length=100, examples=["民生微实事项目评分细则"])


class CriterionRead(ReadModel):
    """A criterion of a rubric version."""

    key: str
    name: str
    max_points: int
    description: str | None = None


class RubricVersionRead(ReadModel):
    """One version of a rubric."""

    id: uuid.UUID
    rubric_id: uuid.UUID
    version: int
    criteria: list[CriterionRead]
    total_points: int
    note: str | None
    created_at: datetime


class RubricRead(ReadModel):
    """A rubric with its versions, newest first."""

    id: uuid.UUID
    district_id: uuid.UUID
    name: str
    latest_version: int
    created_at: datetime
    versions: list[RubricVersionRead]


class CampaignRules(WriteModel):
    """Overrides of the programme's evaluation rule for this campaign."""

    weights: EvaluationWeights | None = Field(
        default=None,
        description="resident review 居民评议 / expert review 专家评议 / third-party assessment "
        "第三方评估; sum to 1 (default: the programme's)",
    )
    grade_cutoffs: GradeCutoffs | None = Field(default=None, description="default: the programme's (90 / 80 / 60)")
    trim_extremes: bool | None = Field(default=None, description="drop the highest and lowest expert score")
    satisfaction_floor_pct: Percent | None = Field(
        default=None, description="satisfied share below which a project goes to rectification"
    )


class CampaignCreate(CampaignRules):
    """The annual evaluation of a programme's completed projects."""

    programme_id: uuid.UUID
    title: DisplayText = Field(min_length=1, max_length=100, examples=["2025年度民生微实事项目评估"])
    rubric_id: uuid.UUID
    rubric_version: int | None = Field(default=None, ge=1, le=10_000, description="default: the latest")
    opens_on: date = Field(description="first day scores and ratings are accepted (Asia/Shanghai)")
    closes_on: date = Field(description="deadline, included; submitted scores lock after it")
    proposal_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="completed projects of the programme to evaluate"
    )


class CampaignUpdate(CampaignRules):
    """Before the window opens anything may change; once open the title, a later deadline and, until the first
    score is submitted, the scoring settings (weights, trimming, cut-offs, satisfaction floor)."""

    title: DisplayText | None = Field(default=None, min_length=1, max_length=100)
    rubric_id: uuid.UUID | None = None
    rubric_version: int | None = Field(default=None, ge=1, le=10_000)
    opens_on: date | None = None
    closes_on: date | None = None


class ProjectsAdd(WriteModel):
    """Completed projects to add to a campaign."""

    proposal_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class CampaignRead(WriteModel):
    """A campaign with its rubric version, rules and window."""

    id: uuid.UUID
    programme_id: uuid.UUID
    district_id: uuid.UUID
    year: int
    title: str
    rubric_id: uuid.UUID
    rubric_name: str
    rubric_version: int
    criteria: list[CriterionRead]
    weights: EvaluationWeights
    grade_cutoffs: GradeCutoffs
    trim_extremes: bool
    satisfaction_floor_pct: int
    opens_on: date
    closes_on: date
    phase: str = Field(description="upcoming | open | ended")
    projects: int
    created_at: datetime


class PublicCampaignRead(WriteModel):
    """What the public sees of a campaign."""

    id: uuid.UUID
    district_id: uuid.UUID
    year: int
    title: str
    opens_on: date
    closes_on: date
    phase: str
    projects: int


class CampaignProjectRead(ReadModel):
    """A project under evaluation."""

    proposal_id: uuid.UUID
    title: str
    community_id: uuid.UUID
    street_id: uuid.UUID
    implementer_organisation_id: uuid.UUID | None
    added_at: datetime


class AssignmentsCreate(WriteModel):
    """Give projects to one evaluator (expert review) or one assessor organisation (third-party assessment)."""

    proposal_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    evaluator_id: uuid.UUID | None = Field(default=None, description="a user with the evaluator role")
    organisation_id: uuid.UUID | None = Field(default=None, description="an assessor organisation (第三方评估机构)")

    @model_validator(mode="after")
    def _one_assignee(self) -> "AssignmentsCreate":
        if (self.evaluator_id is None) == (self.organisation_id is None):
            raise ValueError("name exactly one of evaluator_id and organisation_id")
        return self


class AssignmentRead(ReadModel):
    """An assignment."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    proposal_id: uuid.UUID
    source: Source
    evaluator_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    created_at: datetime


class ScoreItemIn(WriteModel):
    """Points on one criterion."""

    criterion: CriterionKey
    points: Points
    comment: str | None = Field(default=None, max_length=1000)


class ScoreWrite(WriteModel):
    """A score: a draft may cover some criteria, a submission covers all of them."""

    items: list[ScoreItemIn] = Field(max_length=20)
    comment: str | None = Field(default=None, max_length=2000, description="overall comment (总体评价)")


class ScoreItemRead(WriteModel):
    """Points on one criterion, with the criterion's name and maximum."""

    criterion: str
    name: str
    max_points: int
    points: Points
    comment: str | None


class ScoreVersionRead(WriteModel):
    """An earlier submitted version."""

    version: int
    items: list[ScoreItemRead]
    total_points: Points
    comment: str | None
    submitted_at: datetime
    superseded_at: datetime


class ScoreRead(WriteModel):
    """A score: the draft, or the current submitted version and the versions it replaced."""

    assignment_id: uuid.UUID
    campaign_id: uuid.UUID
    proposal_id: uuid.UUID
    source: Source
    status: ScoreStatus | None = Field(description="null: nothing saved yet")
    version: int = Field(description="submitted versions so far")
    items: list[ScoreItemRead]
    total_points: Points
    comment: str | None
    saved_at: datetime | None
    submitted_at: datetime | None
    history: list[ScoreVersionRead]
    conflict_declared_at: datetime | None = Field(
        default=None,
        description="set once the assignee declared a conflict of interest (回避): the score counts for nothing",
    )
    conflict_reason: str | None = None


class MyAssignmentRead(WriteModel):
    """A project I am to score, and where my score stands."""

    assignment_id: uuid.UUID
    proposal_id: uuid.UUID
    title: str
    community_id: uuid.UUID
    source: Source
    progress: ProgressState
    total_points: Points | None
    version: int


class SubmittedScoreRead(WriteModel):
    """A submitted score as the district sees it."""

    assignment_id: uuid.UUID
    proposal_id: uuid.UUID
    project_title: str
    source: Source
    assignee: str
    version: int
    items: list[ScoreItemRead]
    total_points: Points
    comment: str | None
    submitted_at: datetime


class SatisfactionCreate(WriteModel):
    """A resident's rating of a completed project of their community: 1 (very dissatisfied) to 5 (very satisfied)."""

    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=500)


class SatisfactionRead(ReadModel):
    """My rating."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    proposal_id: uuid.UUID
    rating: int
    comment: str | None
    rated_at: datetime


class RatableProjectRead(WriteModel):
    """A project of my community I may rate, with my rating once given."""

    proposal_id: uuid.UUID
    title: str
    community_id: uuid.UUID
    my_rating: SatisfactionRead | None


class MySatisfactionRead(WriteModel):
    """The campaign's projects in communities whose roll holds my phone."""

    campaign_id: uuid.UUID
    phase: str
    projects: list[RatableProjectRead]


class SatisfactionSummaryRead(WriteModel):
    """Ratings of a project, never who gave them: the public figures cover whole batches of ratings only."""

    proposal_id: uuid.UUID
    title: str
    community_id: uuid.UUID
    ratings: int = Field(description="ratings the figures cover: a multiple of batch, 0 before the first batch")
    batch: int = Field(description="ratings per batch; figures change only when a batch is complete")
    mean: Stat | None = Field(description="mean rating, 1-5, two decimals")
    satisfied_pct: Stat | None = Field(description="share of ratings of 4 or 5, in percent")
    below_floor: bool | None = Field(description="satisfied share under the campaign's floor (rectification)")


class SelfInspectionWrite(WriteModel):
    """The street's self-inspection report (自查报告)."""

    work_done: str = Field(min_length=1, max_length=TEXT_MAX, description="工作开展情况")
    problems: str = Field(min_length=1, max_length=TEXT_MAX, description="存在问题")
    lessons: str = Field(min_length=1, max_length=TEXT_MAX, description="经验做法")
    rectification: str | None = Field(default=None, max_length=TEXT_MAX, description="整改措施")


class SelfInspectionContent(ReadModel):
    """What one version of a street's report says."""

    version: int
    work_done: str
    problems: str
    lessons: str
    rectification: str | None
    filed_at: datetime


class SelfInspectionVersionRead(SelfInspectionContent):
    """An earlier version of the report."""

    superseded_at: datetime


class SelfInspectionRead(SelfInspectionContent):
    """A street's report; history lists the versions amendments replaced, newest first."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    street_id: uuid.UUID
    street_name: str
    history: list[SelfInspectionVersionRead]


class ProgressItemRead(WriteModel):
    """An assignment and where it stands."""

    assignment_id: uuid.UUID
    proposal_id: uuid.UUID
    project_title: str
    source: Source
    evaluator_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    assignee: str
    progress: ProgressState
    saved_at: datetime | None
    submitted_at: datetime | None


class ProgressCounts(WriteModel):
    """Assignments by progress."""

    missing: int
    draft: int
    submitted: int
    late: int
    total: int


class SatisfactionProgress(WriteModel):
    """Resident ratings so far."""

    ratings: int
    projects_rated: int
    projects: int


class InspectionProgress(WriteModel):
    """Streets that filed their self-inspection report."""

    filed: int
    streets: int
    missing_street_ids: list[uuid.UUID]


class ProgressRead(Page[ProgressItemRead]):
    """The district's progress view: counts over every assignment, and one page of those matching the filters."""

    campaign_id: uuid.UUID
    phase: str
    counts: ProgressCounts
    satisfaction: SatisfactionProgress
    self_inspections: InspectionProgress


class ConflictDeclaration(WriteModel):
    """Why the assignee may not score the project (回避申报)."""

    reason: str = Field(min_length=1, max_length=500, description="e.g. 本人为申报机构理事")
