"""Finance reports from the ledger as of a date: one grouped query, pivoted in Python.

Balances are current; a report "as of" a date must replay the ledger, so it sums entries dated on or
before that day. Reversals count against the kind they undo.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.funds import rules
from app.funds.models import (
    CommitmentBasis,
    FundDraw,
    FundPayment,
    FundSource,
    FundSourceKind,
    LedgerEntry,
    LedgerKind,
    ProjectBalance,
)
from app.programmes.enums import CATEGORY_LABELS, ProjectCategory
from app.programmes.models import Pilot
from app.regions.models import Region


class GroupBy(StrEnum):
    """What one row of a report stands for."""

    district = "district"
    street = "street"
    community = "community"
    pilot = "pilot"
    fund_source = "fund_source"
    category = "category"
    year = "year"


FIGURES = ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen", "transferred_out_fen")
_EFFECT = {
    LedgerKind.funds_in: "funds_in_fen",
    LedgerKind.commitment: "committed_fen",
    LedgerKind.disbursement: "disbursed_fen",
    LedgerKind.return_: "returned_fen",
    LedgerKind.sweep: "transferred_out_fen",
    LedgerKind.carry_over: "transferred_out_fen",
}
# Funds in and year-end sweeps name their source but no project; commitments, payments and returns name a
# project, and which sources they drew on is in fund_draw (commitments, returns) and fund_payment (payments), so a
# report by source attributes every figure. By category, money not yet committed has no category.
_ATTRIBUTABLE = {GroupBy.category: {"committed_fen", "disbursed_fen", "returned_fen", "direct_committed_fen"}}
# Beside the ledger's figures: what the sources planned, and the part of committed that skipped vote and notice.
EXTRA = ("planned_fen", "direct_committed_fen")


@dataclass
class Row:
    """Figures of one group in fen; None where the grouping cannot attribute that figure."""

    key: str | None
    label: str
    figures: dict[str, int | None] = field(default_factory=dict)

    @property
    def remaining_fen(self) -> int | None:
        """Uncommitted money: funds in less open commitments and year-end transfers."""
        needed = [k for k in FIGURES if k != "disbursed_fen"]
        known = {k: v for k in needed if (v := self.figures.get(k)) is not None}
        if len(known) < len(needed):
            return None
        return rules.available_fen(
            known["funds_in_fen"], known["committed_fen"], known["returned_fen"], known["transferred_out_fen"]
        )


@dataclass
class Report:
    """Rows and the totals row of one report."""

    group_by: GroupBy
    as_of: date
    year: int | None
    rows: list[Row]
    totals: Row


def _key_column(group_by: GroupBy):
    p, fs, pb = Pilot.__table__.c, FundSource.__table__.c, ProjectBalance.__table__.c
    return {
        GroupBy.district: p.district_id,
        GroupBy.street: p.street_id,
        GroupBy.community: p.community_id,
        GroupBy.pilot: p.id,
        GroupBy.year: p.year,
        GroupBy.fund_source: fs.kind,
        GroupBy.category: pb.category,
    }[group_by]


def _statement(group_by: GroupBy, scope_path: str | None, as_of: date, year: int | None):
    le, p = LedgerEntry.__table__, Pilot.__table__
    effect = func.coalesce(le.c.reverses_kind, le.c.kind)
    signed = case((le.c.kind == LedgerKind.reversal.value, -le.c.amount_fen), else_=le.c.amount_fen)
    pb = ProjectBalance.__table__
    source = le.join(p, p.c.id == le.c.pilot_id).outerjoin(pb, pb.c.project_id == le.c.project_id)
    if group_by == GroupBy.fund_source:
        source = source.outerjoin(FundSource.__table__, FundSource.__table__.c.id == le.c.fund_source_id)
    key = _key_column(group_by).label("k")
    stmt = (
        select(key, effect.label("e"), pb.c.basis.label("b"), func.sum(signed).label("s"))
        .select_from(source)
        .where(le.c.entry_date <= as_of)
        .group_by(key, effect, pb.c.basis)
    )
    if scope_path:
        stmt = stmt.where(p.c.region_path.startswith(scope_path, autoescape=True))
    if year is not None:
        stmt = stmt.where(p.c.year == year)
    return stmt


def _table(model: Any) -> Table:
    """A model's table (SQLModel's classes do not declare __table__ to the type checker)."""
    return cast(Table, model.__table__)


def _shares_statement(model: type[FundDraw] | type[FundPayment], scope_path: str | None, as_of: date, year: int | None):
    """Per source kind, the shares of project entries dated up to as_of, by the kind the entry counts as."""
    le, p, fs, pb = _table(LedgerEntry), _table(Pilot), _table(FundSource), _table(ProjectBalance)
    shares = _table(model)
    effect = func.coalesce(le.c.reverses_kind, le.c.kind)
    joined = (
        shares.join(le, le.c.id == shares.c.entry_id)
        .join(fs, fs.c.id == shares.c.fund_source_id)
        .join(p, p.c.id == shares.c.pilot_id)
        .outerjoin(pb, pb.c.project_id == shares.c.project_id)
    )
    stmt = (
        select(fs.c.kind, effect, pb.c.basis, func.sum(shares.c.amount_fen))
        .select_from(joined)
        .where(le.c.entry_date <= as_of)
        .group_by(fs.c.kind, effect, pb.c.basis)
    )
    if scope_path:
        stmt = stmt.where(p.c.region_path.startswith(scope_path, autoescape=True))
    if year is not None:
        stmt = stmt.where(p.c.year == year)
    return stmt


def _planned_statement(group_by: GroupBy, scope_path: str | None, as_of: date, year: int | None):
    fs, p = FundSource.__table__, Pilot.__table__
    key = _key_column(group_by).label("k")
    stmt = (
        select(key, func.sum(fs.c.planned_fen))
        .select_from(fs.join(p, p.c.id == fs.c.pilot_id))
        .where(fs.c.dated <= as_of)
        .group_by(key)
    )
    if scope_path:
        stmt = stmt.where(p.c.region_path.startswith(scope_path, autoescape=True))
    if year is not None:
        stmt = stmt.where(p.c.year == year)
    return stmt


async def _labels(session: AsyncSession, group_by: GroupBy, keys: list[Any]) -> dict[Any, str]:
    if group_by in (GroupBy.district, GroupBy.street, GroupBy.community):
        rows = await session.execute(select(Region.id, Region.name).where(Region.id.in_(keys)))
        return dict(rows.all())
    if group_by == GroupBy.pilot:
        rows = await session.execute(
            select(Pilot.id, Region.name, Pilot.year)
            .join(Region, Region.id == Pilot.community_id)
            .where(Pilot.id.in_(keys))
        )
        return {k: f"{name} {year}" for k, name, year in rows.all()}
    if group_by == GroupBy.fund_source:
        return {k: rules.SOURCE_LABELS[FundSourceKind(k)] for k in keys}
    if group_by == GroupBy.category:
        return {k: CATEGORY_LABELS[ProjectCategory(k)] for k in keys}
    return {k: f"{k}年度" for k in keys}


def _bump(row: Row, column: str, amount: int) -> None:
    row.figures[column] = (row.figures[column] or 0) + amount


async def finance_report(
    session: AsyncSession, group_by: GroupBy, *, scope_path: str | None, as_of: date, year: int | None = None
) -> Report:
    """Funds in, committed, disbursed, returned, transferred out and remaining, by group, as of a date."""
    result = (await session.execute(_statement(group_by, scope_path, as_of, year))).all()
    attributable = _ATTRIBUTABLE.get(group_by, {*FIGURES, *EXTRA})
    totals = Row(None, "合计", dict.fromkeys((*FIGURES, *EXTRA), 0))
    by_key: dict[Any, Row] = {}

    def row_of(key) -> Row:
        return by_key.setdefault(
            key, Row(str(key), str(key), {f: (0 if f in attributable else None) for f in (*FIGURES, *EXTRA)})
        )

    def add(key, column: str, amount: int) -> None:
        totals.figures[column] += amount
        if key is not None and column in attributable:
            row_of(key).figures[column] += amount

    for key, effect, basis, amount in result:
        column, amount = _EFFECT[LedgerKind(effect)], int(amount or 0)
        add(key, column, amount)
        if column == "committed_fen" and basis == CommitmentBasis.direct.value:
            add(key, "direct_committed_fen", amount)
    if group_by == GroupBy.fund_source:
        # A commitment's shares are drawn (+) and its reversal's given back (-); a return's shares are given back
        # (-) and its reversal's drawn again (+); payments are paid (+) and unpaid (-), moves between sources net 0.
        for key, effect, basis, amount in (
            await session.execute(_shares_statement(FundDraw, scope_path, as_of, year))
        ).all():
            column, amount = _EFFECT[LedgerKind(effect)], int(amount or 0)
            if column == "returned_fen":
                amount = -amount
            _bump(row_of(key), column, amount)
            if column == "committed_fen" and basis == CommitmentBasis.direct.value:
                _bump(row_of(key), "direct_committed_fen", amount)
        for key, _effect, _basis, amount in (
            await session.execute(_shares_statement(FundPayment, scope_path, as_of, year))
        ).all():
            _bump(row_of(key), "disbursed_fen", int(amount or 0))
    # Plans belong to sources, not projects: by category they count in the totals only.
    planned_by = GroupBy.pilot if group_by == GroupBy.category else group_by
    for key, planned in (await session.execute(_planned_statement(planned_by, scope_path, as_of, year))).all():
        add(key, "planned_fen", int(planned or 0))
    labels = await _labels(session, group_by, list(by_key)) if by_key else {}
    for key, row in by_key.items():
        row.label = labels.get(key, str(key))
    rows = sorted(by_key.values(), key=lambda r: (r.label, r.key or ""))
    return Report(group_by, as_of, year, rows, totals)
