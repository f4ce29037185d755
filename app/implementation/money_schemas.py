"""Request and response bodies of disbursements by instalment and of budget changes."""

import uuid
from datetime import date, datetime

from pydantic import Field

from app.common.schemas import ReadModel, WriteModel
from app.implementation.payment_models import BudgetChangeState
from app.programmes.enums import ProjectCategory
from app.programmes.ruleset import MAX_AMOUNT_FEN


class DisbursementCreate(WriteModel):
    """Pay (part of) one instalment to the implementer."""

    instalment: int = Field(ge=1, le=6, description="position in the project's instalment plan")
    amount_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN,
                                   description="default: all that the instalment may pay now")
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
    payable_fen: int
    refusal: str | None = Field(description="why nothing may be paid now (a problem code); null when payable or paid")


class ScheduleRead(WriteModel):
    """A project's instalments, its payments, and how payments stand against commitment and spending."""

    proposal_id: uuid.UUID
    status: str
    budget_fen: int
    committed_fen: int
    disbursed_fen: int
    spent_fen: int
    instalments: list[InstalmentRead]
    disbursements: list[DisbursementRead]


class BudgetChangeCreate(WriteModel):
    """A change of budget, category or purpose; what is left out stays as it is."""

    budget_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    category: ProjectCategory | None = None
    purpose: str | None = Field(default=None, min_length=1, max_length=8000,
                                description="the project's content and purpose (用途) as changed")
    reason: str = Field(min_length=2, max_length=2000)
    entry_date: date | None = Field(default=None, description="date of the ledger entry that moves the commitment; "
                                    "default today (Asia/Shanghai)")


class BudgetChangeDecision(WriteModel):
    """The representative meeting's decided agenda item on this change."""

    motion_id: uuid.UUID
    entry_date: date | None = Field(default=None, description="default today (Asia/Shanghai)")


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
    needs_meeting: bool
    motion_id: uuid.UUID | None
    requested_at: datetime
    decided_at: datetime | None
