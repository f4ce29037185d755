"""Request and response bodies of programmes and pilots."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.programmes.models import ProgrammeStatus
from app.programmes.ruleset import ProgrammeRules

NAME_MAX = 100
NOTE_MAX = 500


class ProgrammeCreate(WriteModel):
    """A new draft programme; omitted dates default to the calendar year, omitted rules to the seeds."""

    district_id: uuid.UUID
    year: int = Field(ge=2000, le=2100)
    name: DisplayText = Field(min_length=1, max_length=NAME_MAX)
    starts_on: date | None = None
    ends_on: date | None = None
    closing_date: date | None = Field(default=None, description="last day for commitments; default: ends_on")
    rules: ProgrammeRules = Field(default_factory=ProgrammeRules)


class ProgrammeUpdate(WriteModel):
    """Changes to a draft programme; `rules` is a partial document laid over the current rules."""

    name: DisplayText | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    starts_on: date | None = None
    ends_on: date | None = None
    closing_date: date | None = None
    rules: dict[str, Any] | None = Field(
        default=None, max_length=16, description="partial ProgrammeRules, merged key by key"
    )


class ProgrammeRead(ReadModel):
    """A programme with its complete rules."""

    id: uuid.UUID
    district_id: uuid.UUID
    year: int
    name: str
    status: ProgrammeStatus
    starts_on: date
    ends_on: date
    closing_date: date
    rules: ProgrammeRules
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None


class PilotCreate(WriteModel):
    """Designate a community of the caller's street as a pilot for the programme's year."""

    community_id: uuid.UUID
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class PilotRead(ReadModel):
    """A pilot community of one programme year."""

    id: uuid.UUID
    programme_id: uuid.UUID
    community_id: uuid.UUID
    street_id: uuid.UUID
    district_id: uuid.UUID
    year: int
    note: str | None
    designated_at: datetime


class StreetCheck(ReadModel):
    """One street against the pilot rule (≤ 15 communities → ≥ 1 pilot, ≥ 16 → ≥ 2)."""

    street_id: uuid.UUID
    name: str
    communities: int
    pilots: int
    required: int


class OpeningCheck(ReadModel):
    """Whether the programme may open, and every street that falls short."""

    ok: bool
    shortfalls: list[StreetCheck]


class YearEndLine(ReadModel):
    """What year end did with one source's uncommitted part of a pilot's money."""

    pilot_id: uuid.UUID
    community_id: uuid.UUID
    action: str = Field(description="carry_over | sweep")
    amount_fen: int
    target_pilot_id: uuid.UUID | None = None
    fund_source_id: uuid.UUID | None = None
    source_kind: str | None = None
    returns_to: str | None = Field(
        default=None, description="district | street | payer | community: who a sweep returned it to"
    )


class CloseResult(ReadModel):
    """The closed programme and the year-end entries written."""

    programme: ProgrammeRead
    year_end: list[YearEndLine]
