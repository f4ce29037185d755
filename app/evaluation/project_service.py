"""A campaign's projects: completed projects of its programme and district, added until the deadline, removed
only while nobody has evaluated them."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.evaluation import campaign_service, rules
from app.evaluation.models import Assignment, CampaignProject, EvaluationCampaign, SatisfactionRating
from app.implementation.models import Implementation
from app.proposals.enums import ProposalState
from app.proposals.models import Proposal
from app.regions.models import Region
from app.regions.rules import is_within

EVALUABLE = (ProposalState.completed, ProposalState.evaluated)


async def _proposals(session: AsyncSession, campaign: EvaluationCampaign, ids: Sequence[uuid.UUID]) -> list[Proposal]:
    """The proposals, checked: they exist, are of the campaign's programme and district, completed, not added."""
    if len(set(ids)) != len(ids):
        raise Unprocessable("A project is listed twice.", code="proposal_listed_twice")
    found = {p.id: p for p in await session.scalars(select(Proposal).where(Proposal.id.in_(list(ids))))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise Unprocessable("Some projects do not exist.", code="proposal_not_found", extra={"proposal_ids": missing})
    elsewhere = [
        str(p.id)
        for p in found.values()
        if p.programme_id != campaign.programme_id or not is_within(p.region_path, campaign.region_path)
    ]
    if elsewhere:
        raise Unprocessable(
            "Some projects are not of this campaign's programme and district.",
            code="proposal_not_in_programme",
            extra={"proposal_ids": elsewhere},
        )
    unfinished = [{"id": str(p.id), "state": p.state.value} for p in found.values() if p.state not in EVALUABLE]
    if unfinished:
        raise Conflict(
            "Only completed projects (完成) are evaluated.",
            code="project_not_completed",
            extra={"proposals": unfinished},
        )
    added = list(
        await session.scalars(
            select(CampaignProject.proposal_id).where(
                CampaignProject.campaign_id == campaign.id, CampaignProject.proposal_id.in_(list(ids))
            )
        )
    )
    if added:
        raise Conflict(
            "Some projects are in the campaign already.",
            code="project_already_added",
            extra={"proposal_ids": [str(i) for i in added]},
        )
    return sorted(found.values(), key=lambda p: (p.region_path, p.title, str(p.id)))


async def add_projects(
    session: AsyncSession, principal: Principal, campaign: EvaluationCampaign, ids: Sequence[uuid.UUID]
) -> list[CampaignProject]:
    """Add completed projects (all or none), copying their community, street and implementer."""
    if campaign_service.phase_of(campaign) == rules.Phase.ended:
        raise Conflict("The campaign has ended.", code="campaign_ended")
    proposals = await _proposals(session, campaign, ids)
    implementers = dict(
        (
            await session.execute(
                select(Implementation.proposal_id, Implementation.organisation_id).where(
                    Implementation.proposal_id.in_([p.id for p in proposals])
                )
            )
        ).all()
    )
    streets = dict(
        (
            await session.execute(
                select(Region.id, Region.parent_id).where(Region.id.in_({p.community_id for p in proposals}))
            )
        ).all()
    )
    rows = [
        CampaignProject(
            campaign_id=campaign.id,
            proposal_id=p.id,
            community_id=p.community_id,
            street_id=streets[p.community_id],
            region_path=p.region_path,
            title=p.title,
            implementer_organisation_id=implementers.get(p.id),
            added_by=principal.actor.id,
        )
        for p in proposals
    ]
    session.add_all(rows)
    await session.flush()
    await record(
        session,
        principal.actor,
        "campaign.projects_add",
        "evaluation_campaign",
        campaign.id,
        after={"proposal_ids": [str(p.id) for p in proposals]},
        region_path=campaign.region_path,
    )
    return rows


async def get_project(session: AsyncSession, campaign_id: uuid.UUID, proposal_id: uuid.UUID) -> CampaignProject:
    """A project of the campaign, or 404."""
    return await get_or_404(
        session,
        CampaignProject,
        (campaign_id, proposal_id),
        code="project_not_in_campaign",
        detail="That project is not in this campaign.",
    )


async def remove_project(
    session: AsyncSession, principal: Principal, campaign: EvaluationCampaign, proposal_id: uuid.UUID
) -> None:
    """Take a project out while it has no assignment and no rating (added by mistake)."""
    row = await get_project(session, campaign.id, proposal_id)
    used = await session.scalar(
        select(
            exists().where(Assignment.campaign_id == campaign.id, Assignment.proposal_id == proposal_id)
            | exists().where(
                SatisfactionRating.campaign_id == campaign.id, SatisfactionRating.proposal_id == proposal_id
            )
        )
    )
    if used:
        raise Conflict(
            "The project has assignments or ratings; it stays in the campaign.", code="project_has_evaluations"
        )
    await session.execute(
        delete(CampaignProject).where(
            CampaignProject.campaign_id == campaign.id, CampaignProject.proposal_id == proposal_id
        )
    )
    await record(
        session,
        principal.actor,
        "campaign.project_remove",
        "evaluation_campaign",
        campaign.id,
        before={"proposal_id": str(row.proposal_id), "title": row.title},
        region_path=campaign.region_path,
    )


def list_statement(
    campaign_id: uuid.UUID, community_id: uuid.UUID | None = None, street_id: uuid.UUID | None = None
) -> Select:
    """The campaign's projects by place and title."""
    stmt = select(CampaignProject).where(CampaignProject.campaign_id == campaign_id)
    if community_id:
        stmt = stmt.where(CampaignProject.community_id == community_id)
    if street_id:
        stmt = stmt.where(CampaignProject.street_id == street_id)
    return stmt.order_by(CampaignProject.region_path, CampaignProject.title, CampaignProject.proposal_id)
