"""Scores: an assignee saves a draft, submits it, and may amend it by submitting again until the deadline;
each amendment keeps the version it replaces. Writers of one assignment queue on its row lock (PostgreSQL),
so concurrent submissions leave one consistent score and history; an identical re-submission changes nothing."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.evaluation import campaign_service, policy, project_service, rules
from app.evaluation.models import Assignment, CampaignProject, EvaluationCampaign, Score, ScoreHistory, ScoreStatus
from app.evaluation.schemas import ScoreWrite


@dataclass(frozen=True)
class Mine:
    """The caller's assignment for a project, with its campaign and project."""

    campaign: EvaluationCampaign
    project: CampaignProject
    assignment: Assignment


async def mine(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, proposal_id: uuid.UUID, *, lock: bool = False
) -> Mine:
    """The caller's assignment (locked for writing when `lock`): 404 unknown campaign or project, 403 not_assigned."""
    # Writers share the campaign's row lock, so a change of its scoring settings (which takes it exclusively)
    # is never decided against a submission still in flight.
    campaign = await campaign_service.get_campaign(session, campaign_id, lock="share" if lock else None)
    project = await project_service.get_project(session, campaign.id, proposal_id)
    stmt = select(Assignment).where(
        Assignment.campaign_id == campaign.id,
        Assignment.proposal_id == proposal_id,
        Assignment.assignee_key.in_(policy.assignee_keys(principal)),
    )
    if lock:
        stmt = stmt.with_for_update()
    assignment = await session.scalar(stmt)
    if assignment is None:
        raise Forbidden("You are not assigned this project in this campaign.", code="not_assigned")
    if lock and assignment.conflict_declared_at is not None:
        raise Conflict("您已申报与该项目存在利益冲突（回避），不能再为其评分。", code="conflict_declared")
    return Mine(campaign, project, assignment)


async def declare_conflict(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, proposal_id: uuid.UUID, reason: str
) -> Mine:
    """The assignee declares a conflict of interest (回避申报) with the project: scoring it stops, and a score
    already given drops out of every award run from now on."""
    m = await mine(session, principal, campaign_id, proposal_id, lock=True)
    m.assignment.conflict_declared_at, m.assignment.conflict_reason = utcnow(), reason
    await session.flush()
    await record(
        session,
        principal.actor,
        "assignment.conflict_declared",
        "evaluation_assignment",
        m.assignment.id,
        after={"proposal_id": proposal_id, "reason": reason},
        region_path=m.project.region_path,
    )
    return m


async def _current(session: AsyncSession, assignment_id: uuid.UUID) -> Score | None:
    return await session.scalar(
        select(Score).where(Score.assignment_id == assignment_id).execution_options(populate_existing=True)
    )


async def _items(
    session: AsyncSession, campaign: EvaluationCampaign, body: ScoreWrite, *, complete: bool
) -> list[dict[str, Any]]:
    """The body's items checked against the campaign's rubric version, in the rubric's order."""
    criteria = await campaign_service.criteria_of(session, campaign)
    items = [rules.ScoreItem(i.criterion, i.points, i.comment) for i in body.items]
    problem = rules.score_problem(criteria, items, complete=complete)
    if problem:
        raise Unprocessable(problem.message, code=problem.code, extra=problem.extra)
    return [
        {"criterion": i.criterion, "points": i.points, "comment": i.comment} for i in rules.ordered(criteria, items)
    ]


def _snapshot(score: Score) -> dict[str, Any]:
    return {
        "status": score.status,
        "version": score.version,
        "items": score.items,
        "total_points": score.total_points,
        "comment": score.comment,
    }


async def save_draft(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, proposal_id: uuid.UUID, body: ScoreWrite
) -> Mine:
    """Save the assignee's working copy (some criteria may be left out); 409 once submitted."""
    m = await mine(session, principal, campaign_id, proposal_id, lock=True)
    campaign_service.check_writable(m.campaign)
    score = await _current(session, m.assignment.id)
    if score is not None and score.status == ScoreStatus.submitted:
        raise Conflict("This score was submitted; amend it by submitting again.", code="score_submitted")
    items = await _items(session, m.campaign, body, complete=False)
    before = _snapshot(score) if score else None
    if score is None:
        score = Score(
            assignment_id=m.assignment.id,
            campaign_id=m.campaign.id,
            proposal_id=proposal_id,
            source=m.assignment.source,
            status=ScoreStatus.draft,
            items=[],
            total_points=0,
        )
        session.add(score)
    score.items, score.comment = items, body.comment
    score.total_points = sum(i["points"] for i in items)
    score.saved_at, score.saved_by = utcnow(), principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "score.save_draft",
        "evaluation_score",
        score.id,
        before=before,
        after={"assignment_id": str(m.assignment.id), **_snapshot(score)},
        region_path=m.project.region_path,
    )
    return m


async def submit(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, proposal_id: uuid.UUID, body: ScoreWrite
) -> Mine:
    """Submit a complete score; submitting again before the deadline amends it and keeps the earlier version."""
    m = await mine(session, principal, campaign_id, proposal_id, lock=True)
    campaign_service.check_writable(m.campaign)
    items = await _items(session, m.campaign, body, complete=True)
    score = await _current(session, m.assignment.id)
    now, actor = utcnow(), principal.actor
    amended = score is not None and score.status == ScoreStatus.submitted
    if amended:
        if score.items == items and score.comment == body.comment:
            return m  # the same score again (a retry, a double click): nothing changes
        await session.execute(
            insert(ScoreHistory).values(
                id=uuid.uuid4(),
                score_id=score.id,
                version=score.version,
                items=score.items,
                total_points=score.total_points,
                comment=score.comment,
                submitted_at=score.submitted_at,
                submitted_by=score.saved_by,
                superseded_at=now,
            )
        )
    before = _snapshot(score) if score else None
    if score is None:
        score = Score(
            assignment_id=m.assignment.id,
            campaign_id=m.campaign.id,
            proposal_id=proposal_id,
            source=m.assignment.source,
            status=ScoreStatus.submitted,
            items=[],
            total_points=0,
        )
        session.add(score)
    score.status, score.items, score.comment = ScoreStatus.submitted, items, body.comment
    score.total_points = sum(i["points"] for i in items)
    score.version += 1
    score.saved_at, score.saved_by, score.submitted_at = now, actor.id, now
    await session.flush()
    await record(
        session,
        actor,
        "score.amend" if amended else "score.submit",
        "evaluation_score",
        score.id,
        before=before,
        after={"assignment_id": str(m.assignment.id), **_snapshot(score)},
        region_path=m.project.region_path,
    )
    return m


def item_views(criteria: list[rules.Criterion], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored items with their criterion's name and maximum."""
    by_key = {c.key: c for c in criteria}
    return [
        {**i, "name": by_key[i["criterion"]].name, "max_points": by_key[i["criterion"]].max_points}
        for i in items
        if i["criterion"] in by_key
    ]


async def view(session: AsyncSession, m: Mine) -> dict[str, Any]:
    """The assignee's score (empty when nothing is saved) and the submitted versions it replaced, newest first."""
    criteria = await campaign_service.criteria_of(session, m.campaign)
    score = await _current(session, m.assignment.id)
    out: dict[str, Any] = {
        "assignment_id": m.assignment.id,
        "campaign_id": m.campaign.id,
        "proposal_id": m.assignment.proposal_id,
        "source": m.assignment.source,
        "status": None,
        "version": 0,
        "items": [],
        "total_points": 0,
        "comment": None,
        "saved_at": None,
        "submitted_at": None,
        "history": [],
        "conflict_declared_at": m.assignment.conflict_declared_at,
        "conflict_reason": m.assignment.conflict_reason,
    }
    if score is None:
        return out
    history = await session.scalars(
        select(ScoreHistory).where(ScoreHistory.score_id == score.id).order_by(ScoreHistory.version.desc())
    )
    out.update(
        status=score.status,
        version=score.version,
        items=item_views(criteria, score.items),
        total_points=score.total_points,
        comment=score.comment,
        saved_at=score.saved_at,
        submitted_at=score.submitted_at,
        history=[
            {
                "version": h.version,
                "items": item_views(criteria, h.items),
                "total_points": h.total_points,
                "comment": h.comment,
                "submitted_at": h.submitted_at,
                "superseded_at": h.superseded_at,
            }
            for h in history
        ],
    )
    return out
