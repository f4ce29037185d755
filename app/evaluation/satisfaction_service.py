"""Resident satisfaction (满意度): residents on a community's roll rate its completed projects once per campaign,
during the campaign. Who rated what stays inside: the public and staff see only aggregates."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.errors import Conflict, Forbidden
from app.evaluation import campaign_service, project_service, rules
from app.evaluation.models import CampaignProject, EvaluationCampaign, SatisfactionRating
from app.evaluation.schemas import SatisfactionCreate
from app.voting import roll_service


async def rate(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: SatisfactionCreate,
) -> SatisfactionRating:
    """One rating per resident on the project community's roll; the unique constraint decides between races."""
    campaign = await campaign_service.get_campaign(session, campaign_id)
    project = await project_service.get_project(session, campaign.id, proposal_id)
    campaign_service.check_writable(campaign, "Ratings")
    entry = await roll_service.entry_of_voter(session, project.community_id, principal.phone_digest)
    if entry is None:
        raise Forbidden("Only residents on this community's roll (居民名册) rate its projects.", code="not_on_roll")
    new_id = await session.scalar(
        insert_for(session, SatisfactionRating)
        .values(
            id=uuid.uuid4(),
            campaign_id=campaign.id,
            proposal_id=proposal_id,
            roll_entry_id=entry.id,
            rating=body.rating,
            comment=body.comment,
            rated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "proposal_id", "roll_entry_id"])
        .returning(SatisfactionRating.id)
    )
    if new_id is None:
        raise Conflict("You have rated this project in this campaign already.", code="already_rated")
    # The rating itself stays out of the trail, which staff read: only the resident sees what they gave.
    await record(
        session,
        principal.actor,
        "satisfaction.rate",
        "satisfaction_rating",
        new_id,
        after={"campaign_id": str(campaign.id), "proposal_id": str(proposal_id)},
        region_path=project.region_path,
    )
    return await session.get(SatisfactionRating, new_id)


async def mine(session: AsyncSession, principal: Principal, campaign_id: uuid.UUID) -> dict[str, Any]:
    """The campaign's projects in communities whose roll holds my phone, with my rating of each."""
    campaign = await campaign_service.get_campaign(session, campaign_id)
    entries = await roll_service.entries_of_voter(session, principal.phone_digest)
    entry_of = {e.community_id: e.id for e in entries}
    projects = list(
        await session.scalars(
            project_service.list_statement(campaign.id).where(CampaignProject.community_id.in_(list(entry_of)))
        )
    )
    ratings = {
        (r.proposal_id, r.roll_entry_id): r
        for r in await session.scalars(
            select(SatisfactionRating).where(
                SatisfactionRating.campaign_id == campaign.id,
                SatisfactionRating.roll_entry_id.in_([e.id for e in entries]),
            )
        )
    }
    return {
        "campaign_id": campaign.id,
        "phase": campaign_service.phase_of(campaign),
        "projects": [
            {
                "proposal_id": p.proposal_id,
                "title": p.title,
                "community_id": p.community_id,
                "my_rating": ratings.get((p.proposal_id, entry_of[p.community_id])),
            }
            for p in projects
        ],
    }


async def counts(
    session: AsyncSession, campaign_id: uuid.UUID, proposal_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[int, int]]:
    """proposal -> rating -> how many, for the given projects."""
    rows = await session.execute(
        select(SatisfactionRating.proposal_id, SatisfactionRating.rating, func.count())
        .where(SatisfactionRating.campaign_id == campaign_id, SatisfactionRating.proposal_id.in_(list(proposal_ids)))
        .group_by(SatisfactionRating.proposal_id, SatisfactionRating.rating)
    )
    out: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    for proposal_id, rating, n in rows:
        out[proposal_id][int(rating)] = int(n)
    return out


async def public_summaries(
    session: AsyncSession, campaign: EvaluationCampaign, projects: Sequence[CampaignProject], batch: int
) -> list[dict[str, Any]]:
    """Count, mean and satisfied share of each project's ratings, with the campaign's rectification floor, over
    whole batches of ratings in the order they came (none below one batch): between two ratings the figures stay
    put, so the public cannot work out what one resident gave."""
    rows = await session.execute(
        select(SatisfactionRating.proposal_id, SatisfactionRating.rating)
        .where(
            SatisfactionRating.campaign_id == campaign.id,
            SatisfactionRating.proposal_id.in_([p.proposal_id for p in projects]),
        )
        .order_by(SatisfactionRating.proposal_id, SatisfactionRating.rated_at, SatisfactionRating.id)
    )
    given: dict[uuid.UUID, list[int]] = defaultdict(list)
    for proposal_id, rating in rows.all():
        given[proposal_id].append(int(rating))
    floor = campaign_service.rule_of(campaign).satisfaction_floor_pct
    out = []
    for p in projects:
        shown = Counter(rules.published_ratings(given.get(p.proposal_id, []), batch))
        s = rules.satisfaction(shown, floor)
        out.append(
            {
                "proposal_id": p.proposal_id,
                "title": p.title,
                "community_id": p.community_id,
                "ratings": s.ratings,
                "mean": s.mean,
                "satisfied_pct": s.satisfied_pct,
                "below_floor": s.below_floor,
                "batch": batch,
            }
        )
    return out


async def totals(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, int]:
    """Ratings so far and how many of the campaign's projects have any."""
    ratings, rated = (
        await session.execute(
            select(func.count(), func.count(func.distinct(SatisfactionRating.proposal_id))).where(
                SatisfactionRating.campaign_id == campaign_id
            )
        )
    ).one()
    return {
        "ratings": int(ratings),
        "projects_rated": int(rated),
        "projects": await campaign_service.project_count(session, campaign_id),
    }
