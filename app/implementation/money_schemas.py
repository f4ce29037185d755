"""Request and response bodies of disbursements by instalment and of budget changes."""

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from app.common.schemas import ReadModel, WriteModel
from app.implementation.payment_models import BudgetChangeState
from app.programmes.enums import ProjectCategory
from app.programmes.ruleset import MAX_AMOUNT_FEN


class DisbursementCreate(WriteModel):
    """Pay (part of) one instalment to the implementer."""

    instalment: int = Field(ge=1, le=6, description="position in the project's instalment plan")
    amount_fen: int | None = Field(
        default=None, ge=1, le=MAX_AMOUNT_FEN, description="default: all that the instalment may pay now"
    )
    paid_on: date
    document_ref: str | None = Field(default=None, max_length=100, description="voucher (凭证) number")
    note: str | None = Field(default=None, max_length=500)


class DisbursementRead(ReadModel):
    """A recorded payment and its ledger entry."""

    id: uuid.UUID
    instalment: int
    amount_fen: int
    paid_on: date
    ledger_entry_id: uuid.UUID
    created_at: datetime


class InstalmentRead(WriteModel):
    """One instalment today: amount from the current budget, paid, payable now, or why not."""

    position: int
    share_pct: int
    gate: str
    gate_label: str
    amount_fen: int
    paid_fen: int
    payable_fen: int = Field(description="what may be paid now: never more than the project's commitment leaves")
    overpaid_fen: int = Field(
        description="paid above amount_fen (a budget cut after payment); later instalments pay that much less"
    )
    refusal: str | None = Field(description="why nothing may be paid now (a problem code); null when payable or paid")


class ScheduleRead(WriteModel):
    """A project's instalments, its payments, and how payments stand against commitment and spending."""

    proposal_id: uuid.UUID
    status: str
    budget_fen: int
    committed_fen: int = Field(description="net: committed_gross_fen − returned_fen, as everywhere")
    committed_gross_fen: int = Field(description="every commitment, budget rises included")
    returned_fen: int = Field(description="given back: budget cuts and the unspent rest at closure")
    disbursed_fen: int
    unspent_fen: int = Field(description="committed − disbursed: what this project may still be paid")
    spent_fen: int
    instalments: list[InstalmentRead]
    disbursements: list[DisbursementRead]


class LineAmount(WriteModel):
    """A budget line's new amount."""

    budget_line: int = Field(ge=1, le=200, description="position of the line in the proposal's budget (1, 2, ...)")
    amount_fen: int = Field(ge=0, le=MAX_AMOUNT_FEN)


class BudgetChangeCreate(WriteModel):
    """A change of budget, budget lines, category or purpose; what is left out stays as it is."""

    budget_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    budget_lines: list[LineAmount] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="new amounts of some budget lines (spending on a line may pass its amount only by the "
        "programme's line_tolerance_pct); lines left out keep theirs",
    )
    category: ProjectCategory | None = None
    purpose: str | None = Field(
        default=None, min_length=1, max_length=8000, description="the project's content and purpose (用途) as changed"
    )
    reason: str = Field(min_length=2, max_length=2000)
    entry_date: date | None = Field(
        default=None, description="date of the ledger entry that moves the commitment; default today (Asia/Shanghai)"
    )

    @model_validator(mode="after")
    def _lines_once(self) -> "BudgetChangeCreate":
        positions = [line.budget_line for line in self.budget_lines or []]
        if len(positions) != len(set(positions)):
            raise ValueError("each budget line may appear once")
        return self


class BudgetChangeDecision(WriteModel):
    """The representative meeting's decided agenda item on this change."""

    motion_id: uuid.UUID
    entry_date: date | None = Field(default=None, description="default today (Asia/Shanghai)")


class LineChangeRead(ReadModel):
    """A budget line a change moved."""

    budget_line: int
    item: str
    old_fen: int
    new_fen: int


class BudgetChangeRead(ReadModel):
    """A budget change as staff and the public see it."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    state: BudgetChangeState
    old_budget_fen: int
    new_budget_fen: int
    old_category: ProjectCategory
    new_category: ProjectCategory
    old_purpose: str
    new_purpose: str
    reason: str
    line_changes: list[LineChangeRead] | None
    needs_meeting: bool
    motion_id: uuid.UUID | None
    requested_at: datetime
    decided_at: datetime | None
    lapsed_reason: str | None = Field(description="why a change still waiting lapsed (state lapsed)")
