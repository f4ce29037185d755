"""Progress views: the district's (which assignments are missing, in draft, submitted or late), an assignee's own
list, and the submitted scores the district reads."""

import uuid
from typing import Any

from sqlalchemy import Select, and_, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Organisation, User
from app.auth.principal import Principal
from app.common.schemas import PageParams
from app.evaluation import campaign_service, policy, rules, satisfaction_service, score_service
from app.evaluation import self_inspection_service as inspections
from app.evaluation.models import Assignment, CampaignProject, EvaluationCampaign, Score, ScoreStatus, Source
from app.evaluation.rules import Progress

_PROJECT = and_(
    CampaignProject.campaign_id == Assignment.campaign_id, CampaignProject.proposal_id == Assignment.proposal_id
)
ASSIGNEE = func.coalesce(User.display_name, Organisation.name).label("assignee")


def _filtered(
    stmt: Select,
    campaign: EvaluationCampaign,
    *,
    source: Source | None,
    proposal_id: uuid.UUID | None,
    evaluator_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
) -> Select:
    stmt = stmt.where(Assignment.campaign_id == campaign.id)
    for column, value in (
        (Assignment.source, source),
        (Assignment.proposal_id, proposal_id),
        (Assignment.evaluator_id, evaluator_id),
        (Assignment.organisation_id, organisation_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def _state_condition(state: str, ended: bool):
    """SQL for "the assignment is in this state", given whether the window has ended (see rules.progress_of)."""
    unsubmitted = (Score.id.is_(None)) | (Score.status == ScoreStatus.draft)
    if state == Progress.submitted:
        return Score.status == ScoreStatus.submitted
    if state == Progress.late:
        return unsubmitted if ended else false()
    if ended:
        return false()
    return Score.id.is_(None) if state == Progress.missing else Score.status == ScoreStatus.draft


async def progress(
    session: AsyncSession, campaign: EvaluationCampaign, params: PageParams, *, state: str | None = None, **filters: Any
) -> dict[str, Any]:
    """Counts by progress over the filtered assignments, one page of those in `state`, ratings and reports so far."""
    ended = campaign_service.phase_of(campaign) == rules.Phase.ended
    counted = _filtered(
        select(Score.status, func.count())
        .select_from(Assignment)
        .outerjoin(Score, Score.assignment_id == Assignment.id),
        campaign,
        **filters,
    )
    counts = dict.fromkeys(Progress.ALL, 0)
    for status, n in await session.execute(counted.group_by(Score.status)):
        counts[rules.progress_of(status, ended)] += n
    stmt = _filtered(
        select(Assignment, Score.status, Score.saved_at, Score.submitted_at, CampaignProject.title, ASSIGNEE)
        .join(CampaignProject, _PROJECT)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .outerjoin(User, User.id == Assignment.evaluator_id)
        .outerjoin(Organisation, Organisation.id == Assignment.organisation_id),
        campaign,
        **filters,
    )
    if state:
        stmt = stmt.where(_state_condition(state, ended))
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = await session.execute(
        stmt.order_by(CampaignProject.region_path, CampaignProject.title, Assignment.id)
        .limit(params.limit)
        .offset(params.offset)
    )
    items = [
        {
            "assignment_id": a.id,
            "proposal_id": a.proposal_id,
            "project_title": title,
            "source": a.source,
            "evaluator_id": a.evaluator_id,
            "organisation_id": a.organisation_id,
            "assignee": assignee or "",
            "progress": rules.progress_of(status, ended),
            "saved_at": saved_at,
            "submitted_at": submitted_at,
        }
        for a, status, saved_at, submitted_at, title, assignee in rows
    ]
    return {
        "campaign_id": campaign.id,
        "phase": campaign_service.phase_of(campaign),
        "counts": {**counts, "total": sum(counts.values())},
        "satisfaction": await satisfaction_service.totals(session, campaign.id),
        "self_inspections": await inspections.filing(session, campaign),
        "items": items,
        "total": total or 0,
        "limit": params.limit,
        "offset": params.offset,
    }


async def my_assignments(
    session: AsyncSession, principal: Principal, campaign: EvaluationCampaign, params: PageParams
) -> dict[str, Any]:
    """The caller's assignments in the campaign, with where their score stands."""
    ended = campaign_service.phase_of(campaign) == rules.Phase.ended
    stmt = (
        select(
            Assignment,
            Score.status,
            Score.total_points,
            Score.version,
            CampaignProject.title,
            CampaignProject.community_id,
        )
        .join(CampaignProject, _PROJECT)
        .outerjoin(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.campaign_id == campaign.id, Assignment.assignee_key.in_(policy.assignee_keys(principal)))
    )
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = await session.execute(
        stmt.order_by(CampaignProject.region_path, CampaignProject.title, Assignment.id)
        .limit(params.limit)
        .offset(params.offset)
    )
    items = [
        {
            "assignment_id": a.id,
            "proposal_id": a.proposal_id,
            "title": title,
            "community_id": community_id,
            "source": a.source,
            "progress": rules.progress_of(status, ended),
            "total_points": points,
            "version": version or 0,
        }
        for a, status, points, version, title, community_id in rows
    ]
    return {"items": items, "total": total or 0, "limit": params.limit, "offset": params.offset}


async def submitted_scores(
    session: AsyncSession,
    campaign: EvaluationCampaign,
    params: PageParams,
    *,
    source: Source | None = None,
    proposal_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Submitted scores with their criteria, by project; drafts stay the assignee's own."""
    criteria = await campaign_service.criteria_of(session, campaign)
    stmt = (
        select(Score, CampaignProject.title, ASSIGNEE)
        .join(Assignment, Assignment.id == Score.assignment_id)
        .join(CampaignProject, _PROJECT)
        .outerjoin(User, User.id == Assignment.evaluator_id)
        .outerjoin(Organisation, Organisation.id == Assignment.organisation_id)
        .where(Score.campaign_id == campaign.id, Score.status == ScoreStatus.submitted)
    )
    if source is not None:
        stmt = stmt.where(Score.source == source)
    if proposal_id is not None:
        stmt = stmt.where(Score.proposal_id == proposal_id)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = await session.execute(
        stmt.order_by(CampaignProject.region_path, CampaignProject.title, Score.source, Score.id)
        .limit(params.limit)
        .offset(params.offset)
    )
    items = [
        {
            "assignment_id": s.assignment_id,
            "proposal_id": s.proposal_id,
            "project_title": title,
            "source": s.source,
            "assignee": assignee or "",
            "version": s.version,
            "items": score_service.item_views(criteria, s.items),
            "total_points": s.total_points,
            "comment": s.comment,
            "submitted_at": s.submitted_at,
        }
        for s, title, assignee in rows
    ]
    return {"items": items, "total": total or 0, "limit": params.limit, "offset": params.offset}
