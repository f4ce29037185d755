"""The public finance summary of a community (居务公开): sources, commitments and payments, nothing personal.

Institutions are named; donors and residents who contributed are not. No notes, document numbers of
private payers, staff names or ids are shown.
"""

import uuid
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.rows import get_or_404
from app.funds import rules
from app.funds.models import CommitmentBasis, FundSource, LedgerEntry, LedgerKind, PilotBalance, ProjectBalance
from app.programmes.enums import CATEGORY_LABELS
from app.programmes.models import Pilot, Programme
from app.regions.models import Region, RegionLevel


async def _community(session: AsyncSession, community_id: uuid.UUID) -> Region:
    return await get_or_404(
        session,
        Region,
        community_id,
        code="community_not_found",
        detail="No community with that id.",
        accept=lambda r: r.level == RegionLevel.community,
    )


async def _received_by_source(session: AsyncSession, pilot_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    le = LedgerEntry.__table__.c
    signed = case((le.kind == LedgerKind.reversal.value, -le.amount_fen), else_=le.amount_fen)
    rows = await session.execute(
        select(le.fund_source_id, func.sum(signed))
        .where(
            le.pilot_id.in_(pilot_ids),
            le.fund_source_id.is_not(None),
            func.coalesce(le.reverses_kind, le.kind) == "funds_in",
        )
        .group_by(le.fund_source_id)
    )
    return {k: int(v) for k, v in rows.all()}


async def _payments(session: AsyncSession, pilot_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    le = LedgerEntry.__table__
    reversed_ids = select(le.c.reverses_id).where(le.c.reverses_id.is_not(None))
    rows = await session.execute(
        select(le.c.project_id, le.c.entry_date, le.c.amount_fen)
        .where(le.c.pilot_id.in_(pilot_ids), le.c.kind == LedgerKind.disbursement.value, le.c.id.not_in(reversed_ids))
        .order_by(le.c.entry_date, le.c.recorded_at)
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for project_id, day, amount in rows.all():
        out.setdefault(project_id, []).append({"date": day, "amount_fen": amount})
    return out


def _source(source: FundSource, received: int) -> dict[str, Any]:
    payer = rules.disclosed_payer(source.kind, source.payer)
    return {
        "kind": source.kind,
        "kind_label": rules.SOURCE_LABELS[source.kind],
        "payer": payer,
        "document_ref": source.document_ref if payer is not None else None,
        "dated": source.dated,
        "planned_fen": source.planned_fen,
        "received_fen": received,
        "committed_fen": source.committed_fen,
        "paid_fen": source.paid_fen,
        "swept_fen": source.swept_fen,
        "uncommitted_fen": source.received_fen - source.committed_fen - source.swept_fen,
        "returns_to": source.returns_to,
        "returns_to_label": rules.RETURN_TARGET_LABELS[source.returns_to],
    }


def basis_label(project: ProjectBalance) -> str:
    """How the project got its money, as residents read it: through the notice, or directly on a decision."""
    if project.basis == CommitmentBasis.notice:
        return "经居民投票、公示后确定"
    return f"直接安排（未经投票公示），依据：{project.decision_ref or '未记录决定'}"


async def community_summary(session: AsyncSession, community_id: uuid.UUID) -> dict[str, Any]:
    """Every pilot year of the community: where money came from, what it was committed to, what was paid."""
    community = await _community(session, community_id)
    pilots = (
        await session.execute(
            select(Pilot, Programme.name, PilotBalance)
            .join(Programme, Programme.id == Pilot.programme_id)
            .join(PilotBalance, PilotBalance.pilot_id == Pilot.id)
            .where(Pilot.community_id == community_id)
            .order_by(Pilot.year.desc())
        )
    ).all()
    ids = [p.id for p, _, _ in pilots]
    sources = (
        (
            await session.scalars(
                select(FundSource).where(FundSource.pilot_id.in_(ids)).order_by(FundSource.dated, FundSource.created_at)
            )
        ).all()
        if ids
        else []
    )
    projects = (
        (
            await session.scalars(
                select(ProjectBalance).where(ProjectBalance.pilot_id.in_(ids)).order_by(ProjectBalance.created_at)
            )
        ).all()
        if ids
        else []
    )
    received = await _received_by_source(session, ids) if ids else {}
    payments = await _payments(session, ids) if ids else {}
    years = []
    for pilot, programme_name, bal in pilots:
        years.append(
            {
                "year": pilot.year,
                "programme_name": programme_name,
                "funds_in_fen": bal.funds_in_fen,
                "committed_fen": bal.committed_fen - bal.returned_fen,
                "disbursed_fen": bal.disbursed_fen,
                "transferred_out_fen": bal.transferred_out_fen,
                "available_fen": rules.available_fen(
                    bal.funds_in_fen, bal.committed_fen, bal.returned_fen, bal.transferred_out_fen
                ),
                "sources": [_source(s, received.get(s.id, 0)) for s in sources if s.pilot_id == pilot.id],
                "projects": [
                    {
                        "project_id": p.project_id,
                        "title": p.title,
                        "category": p.category,
                        "category_label": CATEGORY_LABELS[p.category],
                        "basis": p.basis,
                        "decision_ref": p.decision_ref,
                        "basis_label": basis_label(p),
                        **rules.commitment_figures(p.committed_fen, p.returned_fen),
                        "disbursed_fen": p.disbursed_fen,
                        "payments": payments.get(p.project_id, []),
                    }
                    for p in projects
                    if p.pilot_id == pilot.id
                ],
            }
        )
    return {"community_id": community.id, "community_name": community.name, "years": years}
