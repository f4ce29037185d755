"""An organisation's track record: the projects it proposed or implemented, their grades and rectifications."""

import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.awards.models import AwardRun, RunState
from app.implementation.models import Implementation
from app.implementation.review_models import Acceptance, AcceptanceOutcome
from app.programmes.models import Programme
from app.proposals.models import Proposal


async def grades(session: AsyncSession, proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each project's grade in the latest final award run that graded it (a run under notice is not final)."""
    if not proposal_ids:
        return {}
    wanted = {str(p) for p in proposal_ids}
    # Final runs are a handful per district and year; their outputs are read whole.
    runs = (
        await session.scalars(
            select(AwardRun).where(AwardRun.state == RunState.final).order_by(AwardRun.finalised_at, AwardRun.id)
        )
    ).all()
    out: dict[uuid.UUID, str] = {}
    for run in runs:  # later runs overwrite earlier ones
        for project in run.outputs.get("projects", []):
            if project.get("project_id") in wanted and project.get("grade"):
                out[uuid.UUID(project["project_id"])] = project["grade"]
    return out


async def projects(session: AsyncSession, organisation_id: uuid.UUID, *, public: bool) -> list[dict[str, Any]]:
    """Every project the organisation proposed (申报) or implemented (承接), newest year first; the public sees
    submitted proposals only."""
    rectified = (
        select(Acceptance.proposal_id, func.count().label("n"))
        .where(Acceptance.outcome == AcceptanceOutcome.rectification)
        .group_by(Acceptance.proposal_id)
        .subquery()
    )
    stmt = (
        select(
            Proposal,
            Programme.year,
            Implementation.organisation_id.label("implementer"),
            Implementation.status.label("implementation_status"),
            rectified.c.n,
        )
        .join(Programme, Programme.id == Proposal.programme_id)
        .outerjoin(Implementation, Implementation.proposal_id == Proposal.id)
        .outerjoin(rectified, rectified.c.proposal_id == Proposal.id)
        .where(
            or_(Proposal.proposer_organisation_id == organisation_id, Implementation.organisation_id == organisation_id)
        )
        .order_by(Programme.year.desc(), Proposal.created_at, Proposal.id)
    )
    if public:
        stmt = stmt.where(Proposal.submitted_at.is_not(None))
    rows = (await session.execute(stmt)).all()
    graded = await grades(session, [row.Proposal.id for row in rows])
    return [
        {
            "proposal_id": row.Proposal.id,
            "title": row.Proposal.title,
            "year": row.year,
            "community_id": row.Proposal.community_id,
            "role": "proposer" if row.Proposal.proposer_organisation_id == organisation_id else "implementer",
            "state": row.Proposal.state.value,
            "total_fen": row.Proposal.total_fen,
            "implementation_status": row.implementation_status.value if row.implementation_status else None,
            "grade": graded.get(row.Proposal.id),
            "rectifications": row.n or 0,
        }
        for row in rows
    ]
