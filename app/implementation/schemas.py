"""Request and response bodies of implementation: start with a plan, milestones, progress updates."""

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.implementation.models import ImplementationStatus, ImplementerKind
from app.programmes.enums import ProjectCategory
from app.programmes.ruleset import MAX_AMOUNT_FEN


class MilestoneCreate(WriteModel):
    """A step of the plan."""

    title: DisplayText = Field(min_length=1, max_length=200)
    due_on: date


class ImplementationStart(WriteModel):
    """Who implements the confirmed project, and the plan of milestones."""

    implementer_kind: ImplementerKind
    implementer_name: DisplayText | None = Field(
        default=None, min_length=1, max_length=200, description="default: the name confirmed after the notice"
    )
    organisation_id: uuid.UUID | None = Field(default=None, description="required for an organisation")
    started_on: date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    milestones: list[MilestoneCreate] = Field(min_length=1, max_length=30)
    mid_term_due_on: date | None = Field(
        default=None,
        description="when the programme asks for a mid-term review (中期评估); default: halfway to the last milestone",
    )

    @model_validator(mode="after")
    def _organisation(self) -> "ImplementationStart":
        if (self.implementer_kind == ImplementerKind.organisation) != (self.organisation_id is not None):
            raise ValueError("organisation_id is given exactly when the implementer is an organisation")
        return self


class MilestoneWaive(WriteModel):
    """A milestone dropped, and why (it no longer holds back completion or closure)."""

    reason: str = Field(min_length=4, max_length=500)


class MilestoneDone(WriteModel):
    """A milestone reached."""

    done_on: date | None = Field(default=None, description="default: today (Asia/Shanghai); never in the future")


class ProgressCreate(WriteModel):
    """A progress report; photos are attachments uploaded to the project (POST /proposals/{id}/attachments)."""

    text: str = Field(min_length=1, max_length=4000)
    milestone_id: uuid.UUID | None = None
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)
    reported_on: date | None = Field(default=None, description="default: today (Asia/Shanghai)")


class MilestoneRead(ReadModel):
    """A milestone and whether it is overdue today."""

    id: uuid.UUID
    position: int
    title: str
    due_on: date
    done_on: date | None
    waived_reason: str | None
    overdue: bool


class ProgressRead(ReadModel):
    """A progress update."""

    id: uuid.UUID
    milestone_id: uuid.UUID | None
    text: str
    photo_ids: list[uuid.UUID]
    reported_on: date
    created_at: datetime


class ImplementationRead(WriteModel):
    """A project under way: implementer, milestones and progress, as staff and the public see it."""

    proposal_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    implementer_kind: ImplementerKind
    implementer_name: str
    started_on: date
    status: ImplementationStatus
    budget_fen: int = Field(description="current budget: the confirmed one, or as an approved change set it")
    category: ProjectCategory
    purpose: str
    mid_term_due_on: date | None
    ended_on: date | None
    milestones: list[MilestoneRead]
    progress: list[ProgressRead]


class OverdueRead(WriteModel):
    """An overdue milestone in the staff list."""

    proposal_id: uuid.UUID
    project_title: str
    community_id: uuid.UUID
    milestone_id: uuid.UUID
    milestone_title: str
    due_on: date
    days_overdue: int


class ExpenditureCreate(WriteModel):
    """One payment by the implementer, against a line of the project's budget."""

    budget_line: int = Field(ge=1, le=200, description="position of the line in the proposal's budget (1, 2, ...)")
    payee: str = Field(min_length=1, max_length=200)
    amount_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)
    invoice_no: str = Field(
        min_length=1, max_length=50, pattern=r"^[0-9A-Za-z-]+$", description="the invoice (发票) number; required"
    )
    spent_on: date
    note: str | None = Field(default=None, max_length=500)


class ExpenditureRead(ReadModel):
    """A recorded payment."""

    id: uuid.UUID
    budget_line: int
    payee: str
    amount_fen: int
    invoice_no: str
    spent_on: date
    note: str | None
    created_at: datetime


class LineSpendingRead(WriteModel):
    """One budget line as it stands (budget changes applied) and what was spent on it."""

    budget_line: int
    item: str
    amount_fen: int
    spent_fen: int


class SpendingRead(WriteModel):
    """A project's spending against its current budget and budget lines, and every payment."""

    proposal_id: uuid.UUID
    budget_fen: int
    spent_fen: int
    remaining_fen: int
    lines: list[LineSpendingRead]
    items: list[ExpenditureRead]
