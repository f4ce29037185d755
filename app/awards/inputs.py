"""What an award run computes from, read from the campaign: its projects, submitted scores and ratings."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.evaluation.models import Assignment, CampaignProject, SatisfactionRating, Score, ScoreStatus


async def campaign_inputs(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Records, sorted on full keys so equal campaigns give equal inputs: projects, scores, ratings.

    Evaluators are named by their assignment key (user or organisation id), never by name; ratings
    carry no rater at all.
    """
    projects = await session.execute(
        select(
            CampaignProject.proposal_id, CampaignProject.community_id, CampaignProject.street_id, CampaignProject.title
        ).where(CampaignProject.campaign_id == campaign_id)
    )
    scores = await session.execute(
        select(Score.proposal_id, Score.source, Assignment.assignee_key, Score.total_points)
        .join(Assignment, Assignment.id == Score.assignment_id)
        .where(
            Score.campaign_id == campaign_id,
            Score.status == ScoreStatus.submitted,
            Assignment.conflict_declared_at.is_(None),
        )
    )
    ratings = await session.execute(
        select(SatisfactionRating.proposal_id, SatisfactionRating.rating).where(
            SatisfactionRating.campaign_id == campaign_id
        )
    )
    return {
        "projects": sorted(
            (
                {"project_id": str(p), "community_id": str(c), "street_id": str(s), "title": t}
                for p, c, s, t in projects.all()
            ),
            key=lambda r: r["project_id"],
        ),
        "scores": sorted(
            (
                {"project_id": str(p), "source": src.value, "evaluator": key, "total": int(total)}
                for p, src, key, total in scores.all()
            ),
            key=lambda r: (r["project_id"], r["source"], r["evaluator"]),
        ),
        "ratings": sorted(
            ({"project_id": str(p), "rating": int(r)} for p, r in ratings.all()),
            key=lambda r: (r["project_id"], r["rating"]),
        ),
    }
