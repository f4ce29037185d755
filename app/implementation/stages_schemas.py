"""Request and response bodies of the mid-term review, acceptance, closure and termination."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, model_validator

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.implementation.review_models import AcceptanceOutcome, ReviewOutcome


class SelfEvaluationCreate(WriteModel):
    """The implementer's self-evaluation (自评), entered by staff."""

    self_evaluation: str = Field(min_length=10, max_length=8000)
    submitted_on: date | None = Field(default=None, description="default today (Asia/Shanghai)")


class ReviewDecision(WriteModel):
    """The staff review of a self-evaluation."""

    outcome: ReviewOutcome
    note: str = Field(min_length=2, max_length=4000)
    resubmit_by: date | None = Field(
        default=None, description="after a fail: a new self-evaluation is due by then; leave out to allow none"
    )

    @model_validator(mode="after")
    def _resubmission(self) -> "ReviewDecision":
        if self.resubmit_by is not None and self.outcome != ReviewOutcome.failed:
            raise ValueError("resubmit_by goes with a failed review only")
        return self


class MidTermReviewRead(ReadModel):
    """One review attempt."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    attempt: int
    due_on: date
    self_evaluation: str
    submitted_on: date
    late: bool
    outcome: ReviewOutcome | None
    review_note: str | None
    resubmit_by: date | None
    reviewed_at: datetime | None


class ExpertOpinion(WriteModel):
    """A third-party expert's acceptance opinion."""

    name: DisplayText = Field(min_length=1, max_length=100)
    organisation: DisplayText | None = Field(default=None, max_length=200)
    passed: bool
    opinion: str = Field(min_length=2, max_length=4000)


class SatisfactionSurvey(WriteModel):
    """The acceptance survey of residents: how many answered and how many were satisfied (满意/基本满意)."""

    respondents: int = Field(ge=1, le=1_000_000)
    satisfied: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _within(self) -> "SatisfactionSurvey":
        if self.satisfied > self.respondents:
            raise ValueError("satisfied cannot exceed respondents")
        return self


class AcceptanceCreate(WriteModel):
    """An acceptance inspection (验收)."""

    held_on: date
    representatives: list[Annotated[DisplayText, Field(min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=50, description="representatives who inspected"
    )
    representatives_passed: bool
    representatives_opinion: str = Field(min_length=2, max_length=4000)
    expert: ExpertOpinion | None = Field(default=None, description="required when the programme asks for an expert")
    survey: SatisfactionSurvey
    rectification_report: str | None = Field(
        default=None, min_length=10, max_length=8000, description="required after a rectification (整改报告)"
    )


class AcceptanceRead(ReadModel):
    """An acceptance inspection and its outcome."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    attempt: int
    held_on: date
    representatives: list[str]
    representatives_passed: bool
    representatives_opinion: str
    expert_name: str | None
    expert_organisation: str | None
    expert_passed: bool | None
    expert_opinion: str | None
    survey_respondents: int
    survey_satisfied: int
    satisfaction_pct: float
    rectification_report: str | None
    outcome: AcceptanceOutcome
    reasons: list[str]
    created_at: datetime


class MilestoneWaiver(WriteModel):
    """A milestone the project closes without, and why."""

    milestone_id: uuid.UUID
    reason: str = Field(min_length=4, max_length=500)


class ClosureCreate(WriteModel):
    """结项: the completion report; open milestones must each be waived with a reason."""

    closed_on: date
    summary: str = Field(min_length=10, max_length=8000, description="what was done (完成情况)")
    outputs: str | None = Field(default=None, max_length=8000)
    beneficiaries: int | None = Field(default=None, ge=0, le=10_000_000)
    problems: str | None = Field(default=None, max_length=8000)
    waive: list[MilestoneWaiver] = Field(default_factory=list, max_length=30)


class TerminationCreate(WriteModel):
    """终止 after a failed mid-term review."""

    ended_on: date
    reason: str = Field(min_length=4, max_length=8000)


class ClosureRead(ReadModel):
    """How a project ended: the report and the money given back to the pilot."""

    proposal_id: uuid.UUID
    terminated: bool
    closed_on: date
    summary: str
    outputs: str | None
    beneficiaries: int | None
    problems: str | None
    returned_fen: int
    return_entry_id: uuid.UUID | None
    created_at: datetime
