"""What the public sees of an expert review (评审结果公开): the panel's size, method and budget, and once it has
closed each application's trimmed score, standing and whether it is funded now (after any upheld objection).
Never who the experts are, what each of them gave, or anything about the applicants' people."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.models import Organisation
from app.common.rows import get_or_404
from app.notices.models import ItemStatus, Notice, NoticeItem
from app.regions.models import Region
from app.review import service
from app.review.models import PanelStatus, ReviewPanel


async def public_panel(session: AsyncSession, panel_id: uuid.UUID) -> dict[str, Any]:
    """The panel as the board shows it; 404 for an unknown panel. Scores appear only once it has closed."""
    panel = await get_or_404(session, ReviewPanel, panel_id, code="panel_not_found", detail="没有该评审委员会。")
    applications = await service.applications_of(session, panel.id)
    org_ids = {a.applicant_organisation_id for a in applications if a.applicant_organisation_id}
    orgs: dict[uuid.UUID, str] = {}
    if org_ids:
        orgs = {
            oid: name
            for oid, name in (
                await session.execute(
                    select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.id).in_(list(org_ids)))
                )
            )
        }
    result = panel.result or {}
    notice_id = await session.scalar(select(col(Notice.id)).where(col(Notice.review_panel_id) == panel.id))
    taken_out: set[uuid.UUID] = set()
    if notice_id:
        taken_out = set(
            await session.scalars(
                select(col(NoticeItem.proposal_id)).where(
                    col(NoticeItem.notice_id) == notice_id,
                    col(NoticeItem.status).in_([ItemStatus.removed, ItemStatus.back_to_deliberation]),
                )
            )
        )
    scored = {r["number"]: r["scores"] for r in result.get("ranking", [])}
    closed = panel.status == PanelStatus.closed
    rows: list[dict[str, Any]] = [
        {
            "number": a.number,
            "title": a.title,
            "cost_fen": a.cost_fen,
            "organisation": orgs.get(a.applicant_organisation_id) if a.applicant_organisation_id else None,
            "scores": scored.get(a.number) if closed else None,
            "review_mean": a.review_mean if closed else None,
            "standing": a.standing if closed else None,
            "selected": a.selected if closed else None,
            "objection_upheld": a.proposal_id in taken_out,
        }
        for a in applications
    ]
    if closed:  # best first, as the close ranked them; withdrawn applications (no standing) last
        rows.sort(key=_rank)
    community = await session.get(Region, panel.community_id)
    return {
        "id": panel.id,
        "title": panel.title,
        "community_id": panel.community_id,
        "community": community.name if community else "",
        "status": panel.status,
        "status_reason": panel.status_reason,
        "budget_fen": panel.budget_fen,
        "experts": len(await service.expert_ids_of(session, panel.id)),
        "method": result.get("method"),
        "review_weight_pct": result.get("review_weight_pct"),
        "trim_extremes": result.get("trim_extremes"),
        "trim_min_scores": result.get("trim_min_scores"),
        "pitch_on": panel.pitch_on,
        "pitch_place": panel.pitch_place,
        "closed_at": panel.closed_at if closed else None,
        "selected_cost_fen": sum(r["cost_fen"] for r in rows if r["selected"]) if closed else None,
        "notice_id": notice_id,
        "applications": rows,
    }


def _rank(row: dict[str, Any]) -> tuple[bool, float, int, int]:
    """Best standing first, then lower cost and number; withdrawn applications (no standing) last."""
    standing = row["standing"]
    return standing is None, -(standing or 0.0), row["cost_fen"], row["number"]
