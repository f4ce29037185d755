"""Response bodies of finance reports and the public finance summary."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.funds.models import CommitmentBasis, FundSourceKind, ReturnTarget
from app.funds.reports_service import GroupBy
from app.programmes.enums import ProjectCategory


class ReportRow(BaseModel):
    """Figures of one group in fen; null where the grouping cannot attribute the figure (pooled money)."""

    key: str | None = Field(description="region / pilot id, source kind, category or year; null on the totals row")
    label: str
    funds_in_fen: int | None
    committed_fen: int | None
    disbursed_fen: int | None
    returned_fen: int | None
    transferred_out_fen: int | None = Field(description="year end: swept back or carried over")
    planned_fen: int | None = Field(None, description="planned amounts of the group's fund sources")
    direct_committed_fen: int | None = Field(
        None,
        description="of committed: to projects committed directly (直接安排, on a decision, outside vote and notice)",
    )
    remaining_fen: int | None = Field(description="uncommitted: funds in − (committed − returned) − transferred out")


class FinanceReport(BaseModel):
    """A finance report as of a date, with its totals row."""

    group_by: GroupBy
    as_of: date
    region_id: uuid.UUID | None
    year: int | None
    rows: list[ReportRow]
    totals: ReportRow


class PublicSource(BaseModel):
    """Where money came from; private payers (donors, residents) are not named."""

    kind: FundSourceKind
    kind_label: str
    payer: str | None
    document_ref: str | None
    dated: date
    planned_fen: int | None
    received_fen: int
    committed_fen: int = Field(description="drawn by commitments, net of returns")
    paid_fen: int = Field(description="of committed: paid out to implementers from this source")
    uncommitted_fen: int
    swept_fen: int = Field(description="returned to its funder or carried over at year end")
    returns_to: ReturnTarget
    returns_to_label: str


class PublicPayment(BaseModel):
    """One payment to a project's implementer."""

    date: date
    amount_fen: int


class PublicProject(BaseModel):
    """What a project was granted and paid."""

    project_id: uuid.UUID
    title: str
    category: ProjectCategory
    category_label: str
    basis: CommitmentBasis = Field(description="notice: through vote and notice; direct: on a named decision")
    decision_ref: str | None = Field(description="the decision a direct commitment rests on")
    basis_label: str
    committed_fen: int = Field(description="net: committed_gross_fen − returned_fen")
    committed_gross_fen: int = Field(description="every commitment, budget rises included")
    returned_fen: int = Field(description="given back: budget cuts and the unspent rest at closure")
    disbursed_fen: int
    payments: list[PublicPayment]


class PublicPilotYear(BaseModel):
    """One pilot year of the community."""

    year: int
    programme_name: str
    funds_in_fen: int
    committed_fen: int
    disbursed_fen: int
    transferred_out_fen: int
    available_fen: int
    sources: list[PublicSource]
    projects: list[PublicProject]


class PublicFinanceSummary(BaseModel):
    """A community's finances as published to residents (居务公开)."""

    community_id: uuid.UUID
    community_name: str
    years: list[PublicPilotYear]
