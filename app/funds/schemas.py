"""Request and response bodies of fund sources, ledger entries and balances."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, computed_field

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.funds import rules
from app.funds.models import CommitmentBasis, FundSourceKind, LedgerKind, ReturnTarget
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
    returns_to: ReturnTarget | None = Field(
        default=None,
        description="who gets its unspent money back at year end "
        "(default: district for the subsidy, street for matching funds, else "
        "the payer); set it as the agreement says",
    )


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
    returns_to: ReturnTarget
    received_fen: int
    committed_fen: int = Field(description="drawn by commitments, net of returns")
    swept_fen: int = Field(description="returned to its funder or carried over at year end")
    created_at: datetime

    @computed_field(description="received − committed − swept")
    @property
    def uncommitted_fen(self) -> int:
        """What the source still holds for commitments."""
        return self.received_fen - self.committed_fen - self.swept_fen


class FundsInCreate(WriteModel):
    """Money received from a source; beyond its planned amount only as a supplement with its own document."""

    amount_fen: AmountFen
    entry_date: date
    document_ref: DocumentRef | None = None
    note: Note | None = None
    supplement: bool = Field(default=False, description="追加: beyond the source's plan; needs document_ref")


class CommitmentCreate(WriteModel):
    """A direct commitment (直接安排), outside vote and notice: it names exactly one decision."""

    project_id: uuid.UUID
    project_title: DisplayText = Field(min_length=1, max_length=200)
    category: ProjectCategory
    project_type: ProjectType
    amount_fen: AmountFen
    entry_date: date
    decision_motion_id: uuid.UUID | None = Field(
        default=None, description="a passed agenda item of the pilot community's representative meeting"
    )
    decision_document_ref: DocumentRef | None = Field(default=None, description="the deciding document (文件号)")
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
    supplement: bool
    recorded_at: datetime


class SourceBalanceRead(ReadModel):
    """One source's part of the pilot's money: received = committed + uncommitted + swept."""

    fund_source_id: uuid.UUID
    kind: FundSourceKind
    payer: str
    returns_to: ReturnTarget
    planned_fen: int | None
    received_fen: int
    committed_fen: int
    uncommitted_fen: int
    swept_fen: int
    paid_fen: int = Field(
        description="of committed: paid out to implementers from this source (payments spend a "
        "project's commitment per source in the draw order)"
    )


class PilotBalanceRead(ReadModel):
    """A pilot's running totals in fen, and each source's part in draw order."""

    pilot_id: uuid.UUID
    funds_in_fen: int
    committed_fen: int
    returned_fen: int
    disbursed_fen: int
    transferred_out_fen: int
    sources: list[SourceBalanceRead] = Field(default_factory=list)

    @computed_field(description="funds in less open commitments and year-end transfers")
    @property
    def available_fen(self) -> int:
        """Money the pilot can still commit."""
        return rules.available_fen(self.funds_in_fen, self.committed_fen, self.returned_fen, self.transferred_out_fen)


class RoundHoldRead(ReadModel):
    """A voting round's claim on its pilot's uncommitted money."""

    round_id: uuid.UUID
    title: str
    status: str = Field(description="scheduled (holds its budget) | closed (holds its selected, uncommitted projects)")
    held_fen: int


class PanelHoldRead(ReadModel):
    """An expert review panel's claim on its pilot's uncommitted money (公益微创投)."""

    panel_id: uuid.UUID
    title: str
    status: str = Field(description="open (holds its budget) | closed (holds its selected, uncommitted applications)")
    held_fen: int


class PilotBalanceWithRoundsRead(PilotBalanceRead):
    """A pilot's running totals, and what its voting rounds hold of the money not yet committed."""

    uncommitted_fen: int = Field(
        description="received, or planned if more, less open commitments and year-end "
        "transfers: what voting rounds draw on"
    )
    reserved_by_rounds_fen: int = Field(
        description="held by rounds not closed or cancelled (their budget) and by "
        "closed rounds (their selected projects not yet committed)"
    )
    reserved_by_panels_fen: int = Field(
        default=0,
        description="held by review panels: open ones their budget, closed "
        "ones their selected applications not yet committed",
    )
    unreserved_fen: int = Field(
        description="uncommitted less reserved by rounds and review panels: what a new round or panel may hold"
    )
    reserved_by_rounds: list[RoundHoldRead]
    reserved_by_panels: list[PanelHoldRead] = Field(default_factory=list)


class ProjectBalanceRead(ReadModel):
    """A project's commitment and payments in fen."""

    project_id: uuid.UUID
    pilot_id: uuid.UUID
    title: str
    category: ProjectCategory
    project_type: ProjectType
    basis: CommitmentBasis
    decision_motion_id: uuid.UUID | None
    decision_ref: str | None
    # The balance row's committed column is the gross figure; the API's committed_fen is the net one.
    committed_gross_fen: int = Field(
        validation_alias="committed_fen",
        description="every commitment, budget rises included, before anything came back",
    )
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
