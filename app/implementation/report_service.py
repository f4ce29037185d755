"""The finance report per project: committed, disbursed and spent as of a date, and where they disagree.

Money paid to an implementer should come back as invoiced spending. A difference is normal while a
project runs (an advance not yet spent, or spending awaiting its instalment); once it has ended, any
difference is a mismatch finance staff must chase.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.funds.models import LedgerEntry, LedgerKind, ProjectBalance
from app.funds.rules import commitment_figures
from app.implementation.models import Expenditure, Implementation
from app.implementation.rules import ENDED
from app.programmes.models import Pilot
from app.regions.models import Region

_FIGURE = {
    LedgerKind.commitment.value: "committed",
    LedgerKind.disbursement.value: "disbursed",
    LedgerKind.return_.value: "returned",
}


@dataclass
class ProjectRow:
    """One project's money as of the report date, in fen."""

    project_id: uuid.UUID
    title: str
    community: str
    year: int
    status: str  # the implementation status, or "not_started"
    committed_fen: int = 0  # net of money given back (funds.rules.net_committed_fen)
    disbursed_fen: int = 0
    spent_fen: int = 0
    committed_gross_fen: int = 0
    returned_fen: int = 0

    @property
    def difference_fen(self) -> int:
        """Paid out less spent: positive is money not yet accounted for, negative is spending not yet paid."""
        return self.disbursed_fen - self.spent_fen

    @property
    def ended(self) -> bool:
        """Closed or terminated: paid and spent should now agree."""
        return self.status in {s.value for s in ENDED}


async def project_rows(
    session: AsyncSession, *, scope_path: str | None, as_of: date, year: int | None
) -> list[ProjectRow]:
    """Every committed project in scope, by community then title."""
    le, p = LedgerEntry.__table__, Pilot.__table__
    effect = func.coalesce(le.c.reverses_kind, le.c.kind)
    signed = case((le.c.kind == LedgerKind.reversal.value, -le.c.amount_fen), else_=le.c.amount_fen)
    stmt = (
        select(le.c.project_id, effect, func.sum(signed))
        .select_from(le.join(p, p.c.id == le.c.pilot_id))
        .where(le.c.project_id.is_not(None), le.c.entry_date <= as_of, effect.in_(list(_FIGURE)))
        .group_by(le.c.project_id, effect)
    )
    if scope_path:
        stmt = stmt.where(p.c.region_path.startswith(scope_path, autoescape=True))
    if year is not None:
        stmt = stmt.where(p.c.year == year)
    figures: dict[uuid.UUID, dict[str, int]] = {}
    for project_id, kind, amount in (await session.execute(stmt)).all():
        figures.setdefault(project_id, {})[_FIGURE[kind]] = int(amount or 0)
    if not figures:
        return []
    ids = list(figures)
    about = await session.execute(
        select(ProjectBalance.project_id, ProjectBalance.title, Region.name, Pilot.year, Implementation.status)
        .join(Pilot, Pilot.id == ProjectBalance.pilot_id)
        .join(Region, Region.id == Pilot.community_id)
        .outerjoin(Implementation, Implementation.proposal_id == ProjectBalance.project_id)
        .where(ProjectBalance.project_id.in_(ids))
    )
    spent = dict(
        (
            await session.execute(
                select(Expenditure.proposal_id, func.sum(Expenditure.amount_fen))
                .where(Expenditure.proposal_id.in_(ids), Expenditure.spent_on <= as_of)
                .group_by(Expenditure.proposal_id)
            )
        ).all()
    )
    rows = []
    for project_id, title, community, pilot_year, status in about.all():
        f = figures[project_id]
        rows.append(
            ProjectRow(
                project_id,
                title,
                community,
                pilot_year,
                status.value if status else "not_started",
                **commitment_figures(f.get("committed", 0), f.get("returned", 0)),
                disbursed_fen=f.get("disbursed", 0),
                spent_fen=int(spent.get(project_id) or 0),
            )
        )
    return sorted(rows, key=lambda r: (r.community, r.title, str(r.project_id)))


def mismatches(rows: list[ProjectRow], *, ended_only: bool) -> list[ProjectRow]:
    """Projects whose spending does not match their disbursements (only ended ones when asked)."""
    return [r for r in rows if r.difference_fen != 0 and (r.ended or not ended_only)]
