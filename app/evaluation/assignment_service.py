"""Assignments: projects given to an evaluator or an assessor organisation, refused with the reason when the
assignee is partial (回避); withdrawn only while nothing is scored."""

import uuid
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event, record, record_many
from app.auth.models import Organisation, OrganisationKind, Role, User
from app.auth.principal import Principal
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.evaluation import campaign_service, rules
from app.evaluation.models import Assignment, CampaignProject, EvaluationCampaign, Score, Source
from app.evaluation.schemas import AssignmentsCreate
from app.notifications import outbox
from app.proposals.models import Proposal
from app.regions.models import Region


async def _path(session: AsyncSession, region_id: uuid.UUID | None) -> str | None:
    return await session.scalar(select(Region.path).where(Region.id == region_id)) if region_id else None


async def _assignee(session: AsyncSession, body: AssignmentsCreate) -> tuple[Source, str, rules.Party]:
    """The assignee's source, key and what makes them partial; 422 when they cannot evaluate at all."""
    if body.evaluator_id is not None:
        user = await session.get(User, body.evaluator_id)
        if user is None or user.role != Role.evaluator or not user.is_active:
            raise Unprocessable("evaluator_id is not an active user with the evaluator role.", code="not_an_evaluator")
        return (Source.expert, f"u:{user.id}", rules.Party(await _path(session, user.region_id), user.organisation_id))
    org = await session.get(Organisation, body.organisation_id)
    if org is None or org.kind != OrganisationKind.assessor:
        raise Unprocessable("organisation_id is not a third-party assessment organisation.", code="not_an_assessor")
    return Source.third_party, f"o:{org.id}", rules.Party(await _path(session, org.region_id), org.id)


async def _projects(session: AsyncSession, campaign: EvaluationCampaign, ids: list[uuid.UUID]) -> list[CampaignProject]:
    if len(set(ids)) != len(ids):
        raise Unprocessable("A project is listed twice.", code="proposal_listed_twice")
    found = {
        p.proposal_id: p
        for p in await session.scalars(
            select(CampaignProject).where(
                CampaignProject.campaign_id == campaign.id, CampaignProject.proposal_id.in_(ids)
            )
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise Unprocessable(
            "Some projects are not in this campaign.", code="project_not_in_campaign", extra={"proposal_ids": missing}
        )
    return [found[i] for i in ids]


def _refuse_conflicts(
    party: rules.Party, projects: list[CampaignProject], applicants: dict[uuid.UUID, uuid.UUID | None]
) -> None:
    """409 naming every project the assignee may not evaluate, and why."""
    conflicts = []
    for project in projects:
        reason = rules.conflict_of_interest(
            party,
            rules.ProjectFacts(
                project.region_path, project.implementer_organisation_id, applicants.get(project.proposal_id)
            ),
        )
        if reason:
            conflicts.append(
                {
                    "proposal_id": str(project.proposal_id),
                    "title": project.title,
                    "reason": reason,
                    "detail": rules.CONFLICT_REASONS[reason],
                }
            )
    if conflicts:
        first = conflicts[0]
        raise Conflict(
            f"Conflict of interest (回避): {first['detail']} ({first['title']}).",
            code="conflict_of_interest",
            extra={"conflicts": conflicts},
        )


def snapshot(assignment: Assignment) -> dict[str, Any]:
    """The audited state of an assignment."""
    return {
        "campaign_id": assignment.campaign_id,
        "proposal_id": assignment.proposal_id,
        "source": assignment.source,
        "evaluator_id": assignment.evaluator_id,
        "organisation_id": assignment.organisation_id,
    }


async def assign(
    session: AsyncSession, principal: Principal, campaign: EvaluationCampaign, body: AssignmentsCreate
) -> list[Assignment]:
    """Assign the projects to one assignee, all or none; 409 conflict_of_interest or already_assigned."""
    if campaign_service.phase_of(campaign) == rules.Phase.ended:
        raise Conflict("The campaign has ended.", code="campaign_ended")
    source, key, party = await _assignee(session, body)
    projects = await _projects(session, campaign, body.proposal_ids)
    applicants = dict(
        (
            await session.execute(
                select(Proposal.id, Proposal.proposer_organisation_id).where(Proposal.id.in_(body.proposal_ids))
            )
        ).all()
    )
    _refuse_conflicts(party, projects, applicants)
    taken = list(
        await session.scalars(
            select(Assignment.proposal_id).where(
                Assignment.campaign_id == campaign.id,
                Assignment.assignee_key == key,
                Assignment.proposal_id.in_(body.proposal_ids),
            )
        )
    )
    if taken:
        raise Conflict(
            "The assignee already has some of these projects.",
            code="already_assigned",
            extra={"proposal_ids": [str(i) for i in taken]},
        )
    rows = [
        Assignment(
            campaign_id=campaign.id,
            proposal_id=p.proposal_id,
            source=source,
            evaluator_id=body.evaluator_id,
            organisation_id=body.organisation_id,
            assignee_key=key,
            created_by=principal.actor.id,
        )
        for p in projects
    ]
    session.add_all(rows)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request assigned the same project first
        raise Conflict("The assignee already has some of these projects.", code="already_assigned") from exc
    await record_many(
        session,
        principal.actor,
        [
            Event("assignment.create", "evaluation_assignment", a.id, after=snapshot(a), region_path=p.region_path)
            for a, p in zip(rows, projects, strict=True)
        ],
    )
    outbox.evaluators_assigned(session, campaign, body.evaluator_id, len(rows))
    return rows


async def withdraw(session: AsyncSession, principal: Principal, assignment_id: uuid.UUID) -> None:
    """Withdraw an assignment nothing has been saved for (the evaluator fell ill, was assigned by mistake)."""
    assignment = await get_or_404(
        session,
        Assignment,
        assignment_id,
        code="assignment_not_found",
        detail="No assignment with that id.",
        lock="update",
    )
    campaign = await campaign_service.campaign_for(session, principal, assignment.campaign_id, manage=True)
    if campaign_service.phase_of(campaign) == rules.Phase.ended:
        raise Conflict("The campaign has ended; its assignments are on record.", code="campaign_ended")
    if await session.scalar(select(exists().where(Score.assignment_id == assignment.id))):
        raise Conflict("A score has been saved for this assignment; it stays.", code="assignment_has_score")
    before = snapshot(assignment)
    await session.delete(assignment)
    await session.flush()
    await record(
        session,
        principal.actor,
        "assignment.withdraw",
        "evaluation_assignment",
        assignment_id,
        before=before,
        region_path=campaign.region_path,
    )
