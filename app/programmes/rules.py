"""Pure programme rules: the pilot quota, the programme period, and which state allows what."""

import uuid
from dataclasses import dataclass
from datetime import date

from app.programmes.models import ProgrammeStatus

# Seed 000 三(一)2: "15个以下…1个, 15个以上…2个". Chinese usage counts 以下/以上 inclusively, so exactly 15
# is ambiguous; we read it as ≤ 15 → ≥ 1 and ≥ 16 → ≥ 2 (the smaller duty where the text is unclear).
SMALL_STREET_MAX = 15


def required_pilots(communities: int) -> int:
    """Pilots a street must designate: 1 up to 15 communities, 2 from 16; none when it has none."""
    if communities <= 0:
        return 0
    return 1 if communities <= SMALL_STREET_MAX else 2


@dataclass(frozen=True)
class StreetCount:
    """One street of the district: how many communities it has and how many are pilots."""

    street_id: uuid.UUID
    name: str
    communities: int
    pilots: int


@dataclass(frozen=True)
class Shortfall:
    """A street with fewer pilots than the rule requires."""

    street_id: uuid.UUID
    name: str
    communities: int
    pilots: int
    required: int


def shortfalls(streets: list[StreetCount]) -> list[Shortfall]:
    """Every street that falls short of the pilot rule, in name order."""
    out = [Shortfall(s.street_id, s.name, s.communities, s.pilots, required_pilots(s.communities)) for s in streets]
    return sorted((s for s in out if s.pilots < s.required), key=lambda s: s.name)


def default_period(year: int) -> tuple[date, date]:
    """The calendar year: 1 January to 31 December."""
    return date(year, 1, 1), date(year, 12, 31)


def period_problem(year: int, starts_on: date, ends_on: date, closing_date: date) -> str | None:
    """Why a programme period is invalid, or None. It may run into the next year (e.g. to end of May)."""
    if starts_on.year != year:
        return f"The programme of {year} must start in {year}."
    if ends_on <= starts_on:
        return "The programme must end after it starts."
    if ends_on > date(year + 1, 12, 31):
        return f"The programme of {year} must end by {year + 1}-12-31."
    if not starts_on <= closing_date <= ends_on:
        return "The closing date must lie within the programme period."
    return None


def editable(status: ProgrammeStatus) -> bool:
    """Rules and period may change only while the programme is a draft."""
    return status == ProgrammeStatus.draft


def accepts_pilots(status: ProgrammeStatus) -> bool:
    """Pilots are designated before and while the programme is open, not after it closes."""
    return status in (ProgrammeStatus.draft, ProgrammeStatus.open)
