"""Request and response bodies of fund sources, ledger entries and balances."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, computed_field

from app.common.schemas import ReadModel, WriteModel
from app.funds import rules
from app.funds.models import FundSourceKind, LedgerKind
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.ruleset import MAX_AMOUNT_FEN

# strict: 1.5, 1.0 and "100" are refused; money is a whole number of fen.
AmountFen = Annotated[int, Field(gt=0, le=MAX_AMOUNT_FEN, strict=True, description="integer fen (分), > 0")]
DocumentRef = Annotated[str, Field(min_length=1, max_length=100, description="文件/凭证编号")]
Note = Annotated[str, Field(max_length=500)]


class FundSourceCreate(WriteModel):
    """A new source of a pilot's money (the district subsidy is opened on designation)."""

    kind: FundSourceKind
    payer: str = Field(min_length=1, max_length=200)
    document_ref: DocumentRef
    dated: date
    planned_fen: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_FEN, strict=True)
    note: Note | None = None


class FundSourceRead(ReadModel):
    """A fund source of a pilot."""

    id: uuid.UUID
    pilot_id: uuid.UUID
    kind: FundSourceKind
    payer: str
    document_ref: str
    dated: date
    planned_fen: int | None
    note: str | None
    created_at: datetime


class FundsInCreate(WriteModel):
    """Money received from a source."""

    amount_fen: AmountFen
    entry_date: date
    document_ref: DocumentRef | None = None
    note: Note | None = None


class CommitmentCreate(WriteModel):
    """Commit a project's approved budget (projects link to proposals in a later release)."""

    project_id: uuid.UUID
    project_title: str = Field(min_length=1, max_length=200)
    category: ProjectCategory
    project_type: ProjectType
    amount_fen: AmountFen
    entry_date: date
    document_ref: DocumentRef | None = None
    note: Note | None = None


class MovementCreate(WriteModel):
    """A disbursement to the implementer, or a return of the project's unspent money."""

    amount_fen: AmountFen
    entry_date: date
    document_ref: DocumentRef | None = None
    note: Note | None = None


class ReversalCreate(WriteModel):
    """Undo an entry by an opposite one; the reason is kept with it."""

    entry_date: date
    reason: str = Field(min_length=1, max_length=500)


class LedgerEntryRead(ReadModel):
    """One ledger entry."""

    id: uuid.UUID
    pilot_id: uuid.UUID
    kind: LedgerKind
    amount_fen: int
    entry_date: date
    fund_source_id: uuid.UUID | None
    project_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reverses_kind: LedgerKind | None
    counterpart_pilot_id: uuid.UUID | None
    document_ref: str | None
    note: str | None
    recorded_at: datetime


class PilotBalanceRead(ReadModel):
    """A pilot's running totals in fen."""

    pilot_id: uuid.UUID
    funds_in_fen: int
    committed_fen: int
    returned_fen: int
    disbursed_fen: int
    transferred_out_fen: int

    @computed_field(description="funds in less open commitments and year-end transfers")
    @property
    def available_fen(self) -> int:
        """Money the pilot can still commit."""
        return rules.available_fen(self.funds_in_fen, self.committed_fen, self.returned_fen, self.transferred_out_fen)


class ProjectBalanceRead(ReadModel):
    """A project's commitment and payments in fen."""

    project_id: uuid.UUID
    pilot_id: uuid.UUID
    title: str
    category: ProjectCategory
    project_type: ProjectType
    # The balance row's committed column is the gross figure; the API's committed_fen is the net one.
    committed_gross_fen: int = Field(validation_alias="committed_fen",
                                     description="every commitment, budget rises included, before anything came back")
    returned_fen: int = Field(description="given back: budget cuts and the unspent rest at closure")
    disbursed_fen: int

    @computed_field(description="net: committed_gross_fen − returned_fen (the figure reports and public pages show)")
    @property
    def committed_fen(self) -> int:
        """The project's committed amount, net of what it gave back."""
        return rules.net_committed_fen(self.committed_gross_fen, self.returned_fen)

    @computed_field(description="committed, not yet paid nor given back")
    @property
    def unspent_fen(self) -> int:
        """What the project may still be paid."""
        return rules.unspent_fen(self.committed_gross_fen, self.returned_fen, self.disbursed_fen)
