"""Response bodies of the finance report per project."""

import uuid
from datetime import date

from pydantic import BaseModel, Field


class ProjectMoneyRow(BaseModel):
    """One project's money as of the report date, in fen."""

    project_id: uuid.UUID
    title: str
    community: str
    year: int
    status: str = Field(description="implementation status (in_progress, ..., closed, terminated) or not_started")
    committed_fen: int = Field(description="net: committed_gross_fen − returned_fen, the figure shown everywhere")
    committed_gross_fen: int = Field(description="every commitment, budget rises included")
    returned_fen: int = Field(description="given back: budget cuts and the unspent rest at closure")
    disbursed_fen: int
    spent_fen: int = Field(description="expenditures with invoices dated up to the report date")
    difference_fen: int = Field(
        description="disbursed − spent: positive is paid but not yet accounted for, negative is spent but not yet paid"
    )
    ended: bool


class ProjectMoneyReport(BaseModel):
    """Per project: committed, disbursed and spent; and the projects where spending and disbursements differ."""

    as_of: date
    region_id: uuid.UUID | None
    year: int | None
    ended_only: bool = Field(description="whether mismatches lists ended projects only")
    rows: list[ProjectMoneyRow]
    mismatches: list[ProjectMoneyRow]
