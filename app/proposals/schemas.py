"""Request and response bodies of proposals, budget lines, attachments, screening and survey notes."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.ruleset import MAX_AMOUNT_FEN
from app.proposals.enums import IntakeChannel, ProposalKind, ProposalState, ProposerKind, SurveyMethod
from app.proposals.models import TEXT_MAX

MAX_LINES = 100
MAX_QUANTITY = 1_000_000
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class BudgetLineIn(WriteModel):
    """One budget line: item, quantity and unit price in fen; its amount is computed, never sent."""

    item: str = Field(min_length=1, max_length=200)
    unit: str | None = Field(default=None, max_length=20, description="e.g. 个, 次, 平方米")
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True, description="a positive whole number")
    unit_price_fen: int = Field(gt=0, le=MAX_AMOUNT_FEN, strict=True)
    is_personnel: bool = Field(default=False, description="staff pay, allowances, experts' fees (人员费用)")


class VenturePlan(WriteModel):
    """The 项目书 of a 公益微创投 application beyond need, plan and benefits."""

    target_group: DisplayText = Field(min_length=1, max_length=200, description="服务对象, e.g. 独居老人")
    target_size: int = Field(gt=0, le=1_000_000, strict=True, description="how many people it serves")
    service_content: Text
    service_hours: int = Field(gt=0, le=100_000, strict=True, description="服务时长 (hours)")
    outputs: Text = Field(description="产出, e.g. 开展活动24场")
    outcome_indicators: Text = Field(description="成效指标, e.g. 服务对象满意度不低于90%")


class ProposalCreate(WriteModel):
    """A new draft proposal for a community (and optionally one of its sub-units)."""

    community_id: uuid.UUID
    unit_id: uuid.UUID | None = Field(default=None, description="a grid, compound, group or building of the community")
    programme_id: uuid.UUID | None = Field(default=None, description="default: the district's open programme")
    as_organisation: bool = Field(default=False, description="submit for the caller's social organisation")
    title: DisplayText = Field(min_length=1, max_length=100)
    kind: ProposalKind
    project_type: ProjectType
    category: ProjectCategory
    need: Text
    plan: Text
    benefits: Text
    budget_lines: list[BudgetLineIn] = Field(default_factory=list, max_length=MAX_LINES)
    venture_plan: VenturePlan | None = Field(default=None, description="required for 公益微创投 (kind venture)")


class ProposerIn(WriteModel):
    """The resident or group a staff member enters a proposal for."""

    name: DisplayText = Field(min_length=1, max_length=100, description="姓名, or the group's name")
    kind: Literal["resident", "group"] = "resident"
    phone: str | None = Field(
        default=None,
        min_length=11,
        max_length=20,
        description="lets the proposer claim the proposal by logging in with it",
    )


class AssistedProposalCreate(WriteModel):
    """A proposal community staff enter for a named resident or group, and how the need reached them."""

    proposer: ProposerIn
    channel: IntakeChannel
    community_id: uuid.UUID
    unit_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None
    title: DisplayText = Field(min_length=1, max_length=100)
    kind: ProposalKind
    project_type: ProjectType
    category: ProjectCategory
    need: Text
    plan: Text
    benefits: Text
    budget_lines: list[BudgetLineIn] = Field(default_factory=list, max_length=MAX_LINES)


class ProposalUpdate(WriteModel):
    """Changes to a draft or returned proposal; budget_lines, when given, replace all lines."""

    unit_id: uuid.UUID | None = None
    title: DisplayText | None = Field(default=None, min_length=1, max_length=100)
    kind: ProposalKind | None = None
    project_type: ProjectType | None = None
    category: ProjectCategory | None = None
    need: Text | None = None
    plan: Text | None = None
    benefits: Text | None = None
    budget_lines: list[BudgetLineIn] | None = Field(default=None, max_length=MAX_LINES)
    venture_plan: VenturePlan | None = None

    @field_validator(
        "title", "kind", "project_type", "category", "need", "plan", "benefits", "budget_lines", "venture_plan"
    )
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class TransitionRequest(WriteModel):
    """Move a proposal to another state, with the reason shown to the proposer."""

    to: ProposalState
    reason: Reason | None = None


class ScreeningCreate(WriteModel):
    """The screener's verdict: the negative-list items the proposal fails (empty: none) and a note."""

    failed_items: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=1000)


class SurveyNoteCreate(WriteModel):
    """A needs-survey finding."""

    method: SurveyMethod
    surveyed_on: date | None = None
    respondents: int | None = Field(default=None, ge=0, le=1_000_000)
    findings: Text


class BudgetLineRead(ReadModel):
    """A stored budget line with its computed amount."""

    position: int
    item: str
    unit: str | None
    quantity: int
    unit_price_fen: int
    amount_fen: int
    is_personnel: bool


class ProposalRead(ReadModel):
    """A proposal as its proposer and staff see it."""

    id: uuid.UUID
    programme_id: uuid.UUID
    community_id: uuid.UUID
    unit_id: uuid.UUID | None
    proposer_user_id: uuid.UUID
    proposer_kind: ProposerKind
    proposer_organisation_id: uuid.UUID | None
    title: str
    kind: ProposalKind
    project_type: ProjectType
    category: ProjectCategory
    need: str
    plan: str
    benefits: str
    total_fen: int
    state: ProposalState
    state_reason: str | None
    state_changed_at: datetime
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    intake_channel: IntakeChannel | None
    proposer_name: str | None
    proposer_phone_masked: str | None
    claimed_at: datetime | None
    venture_plan: dict | None


class ProposalDetail(ProposalRead):
    """A proposal with its budget lines."""

    budget_lines: list[BudgetLineRead]


class PublicProposalSummary(ReadModel):
    """A proposal as the public sees it in a list: no proposer, no personal data."""

    id: uuid.UUID
    programme_id: uuid.UUID
    community_id: uuid.UUID
    unit_id: uuid.UUID | None
    proposer_kind: ProposerKind
    title: str
    kind: ProposalKind
    project_type: ProjectType
    category: ProjectCategory
    total_fen: int
    state: ProposalState
    submitted_at: datetime


class PublicProposal(PublicProposalSummary):
    """One proposal as the public sees it, with its content and budget lines."""

    need: str
    plan: str
    benefits: str
    budget_lines: list[BudgetLineRead]


class AllowedTransition(ReadModel):
    """A state the caller may move the proposal to, and who may."""

    to: ProposalState
    by: list[str]


class AttachmentRead(ReadModel):
    """An attachment's metadata."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    content_type: str
    original_name: str
    size_bytes: int
    sha256: str
    created_at: datetime


class NegativeItemRead(ReadModel):
    """One negative-list item."""

    code: str
    label: str
    description: str


class ScreeningRead(ReadModel):
    """A screening verdict with its reasons, visible to the proposer."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    passed: bool
    reasons: list[dict[str, str]]
    total_fen: int
    cap_fen: int
    over_cap: bool
    note: str | None
    screened_at: datetime


class SurveyNoteRead(ReadModel):
    """A recorded needs-survey finding."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    method: SurveyMethod
    surveyed_on: date | None
    respondents: int | None
    findings: str
    recorded_at: datetime
