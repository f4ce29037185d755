"""Implementation: start a confirmed project with its implementer and plan, milestones reached, progress reports."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import Organisation
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.rows import get_or_404
from app.common.schemas import PageParams
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.implementation import rules as impl_rules
from app.implementation import standing, waivers_service
from app.implementation.models import Implementation, ImplementationStatus, Milestone, ProgressUpdate
from app.implementation.schemas import ImplementationStart, ProgressCreate
from app.notices.models import Confirmation
from app.programmes.service import pilot_context
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal, ProposalAttachment
from app.voting import policy

# Work goes on (milestones, progress) until acceptance; rectification is work too.
RUNNING = (ImplementationStatus.in_progress, ImplementationStatus.payment_stopped, ImplementationStatus.rectification)


async def get_implementation(session: AsyncSession, proposal_id: uuid.UUID) -> Implementation:
    """The project's implementation, or 404."""
    return await get_or_404(
        session,
        Implementation,
        proposal_id,
        code="implementation_not_found",
        detail="No project under way with that id.",
    )


async def implementation_for(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, *, organise: bool
) -> Implementation:
    """The implementation as the caller may read (404 outside their region) or run it."""
    impl = await get_implementation(session, proposal_id)
    policy.check(principal, impl.region_path, "implementation", organise=organise)
    return impl


async def start(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, body: ImplementationStart
) -> Implementation:
    """A confirmed project starts (确定 → 实施中) with its implementer and milestone plan."""
    proposal = await get_or_404(
        session, Proposal, proposal_id, code="proposal_not_found", detail="No proposal with that id."
    )
    policy.check_organise(principal, proposal.region_path, "proposal")
    confirmation = await session.get(Confirmation, proposal.id)
    if proposal.state != ProposalState.confirmed or confirmation is None:
        raise Conflict(
            "Only a confirmed project (确定) starts implementation.",
            code="project_not_confirmed",
            extra={"state": proposal.state.value},
        )
    if body.organisation_id and await session.get(Organisation, body.organisation_id) is None:
        raise Unprocessable("No organisation with that id.", code="organisation_not_found")
    started_on = body.started_on or clock.today()
    early = [m.title for m in body.milestones if m.due_on < started_on]
    if early:
        raise Unprocessable(
            "Milestones cannot fall due before the project starts.",
            code="milestone_before_start",
            extra={"milestones": early},
        )
    rules = (await pilot_context(session, confirmation.pilot_id)).rules.implementation
    due_dates = [m.due_on for m in body.milestones]
    mid_term_due_on = body.mid_term_due_on or (
        impl_rules.mid_term_due(started_on, due_dates) if rules.mid_term_review else None
    )
    if mid_term_due_on is not None and mid_term_due_on < started_on:
        raise Unprocessable(
            "The mid-term review cannot fall due before the project starts.", code="mid_term_before_start"
        )
    impl = Implementation(
        proposal_id=proposal.id,
        pilot_id=confirmation.pilot_id,
        community_id=proposal.community_id,
        region_path=proposal.region_path,
        title=confirmation.title,
        implementer_kind=body.implementer_kind,
        implementer_name=body.implementer_name or confirmation.implementer,
        organisation_id=body.organisation_id,
        started_on=started_on,
        started_by=principal.actor.id,
        project_type=proposal.project_type,
        category=proposal.category,
        budget_fen=confirmation.budget_fen,
        purpose=confirmation.content,
        instalment_plan=[i.model_dump() for i in rules.instalments.for_type(proposal.project_type)],
        mid_term_due_on=mid_term_due_on,
    )
    session.add(impl)
    await session.flush()
    session.add_all(
        [
            Milestone(proposal_id=proposal.id, position=i, title=m.title, due_on=m.due_on)
            for i, m in enumerate(body.milestones, start=1)
        ]
    )
    await session.flush()
    await transition(
        session,
        proposal,
        ProposalState.in_implementation,
        Process("implementation", principal.actor),
        details={"implementer": impl.implementer_name},
    )
    await record(
        session,
        principal.actor,
        "implementation.start",
        "proposal",
        proposal.id,
        after={
            "implementer_kind": impl.implementer_kind,
            "implementer_name": impl.implementer_name,
            "started_on": started_on,
            "budget_fen": impl.budget_fen,
            "instalment_plan": impl.instalment_plan,
            "mid_term_due_on": mid_term_due_on,
            "milestones": [m.model_dump(mode="json") for m in body.milestones],
        },
        region_path=impl.region_path,
    )
    return impl


async def milestone_done(
    session: AsyncSession, principal: Principal, milestone_id: uuid.UUID, done_on: date | None
) -> Implementation:
    """Mark a milestone reached (once); never on a future date."""
    milestone = await get_or_404(
        session, Milestone, milestone_id, code="milestone_not_found", detail="No milestone with that id."
    )
    impl = await implementation_for(session, principal, milestone.proposal_id, organise=True)
    standing.require_status(impl, *RUNNING)
    if milestone.done_on is not None:
        raise Conflict(f"This milestone was reached on {milestone.done_on.isoformat()}.", code="milestone_done")
    if milestone.waived_reason is not None:
        raise Conflict("This milestone was waived.", code="milestone_waived")
    done_on = done_on or clock.today()
    if done_on > clock.today() or done_on < impl.started_on:
        raise Unprocessable("done_on must fall between the start of the project and today.", code="done_on_invalid")
    milestone.done_on, milestone.done_by = done_on, principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "milestone.done",
        "milestone",
        milestone.id,
        after={"proposal_id": str(impl.proposal_id), "title": milestone.title, "done_on": done_on},
        region_path=impl.region_path,
    )
    return impl


async def waive_milestone(
    session: AsyncSession, principal: Principal, milestone_id: uuid.UUID, reason: str
) -> Implementation:
    """Drop an open milestone with a reason: it no longer holds back completion or closure."""
    milestone = await get_or_404(
        session, Milestone, milestone_id, code="milestone_not_found", detail="No milestone with that id."
    )
    impl = await implementation_for(session, principal, milestone.proposal_id, organise=True)
    await standing.lock(session, impl)
    standing.require_status(impl, *RUNNING)
    await session.refresh(milestone)
    if milestone.done_on is not None or milestone.waived_reason is not None:
        raise Conflict("Only an open milestone can be waived.", code="milestone_not_open")
    await waivers_service.waive(session, principal, impl, [(milestone, reason)])
    return impl


async def add_progress(
    session: AsyncSession, principal: Principal, impl: Implementation, body: ProgressCreate
) -> ProgressUpdate:
    """A progress report; its photos must be attachments of this project, its milestone one of its own."""
    standing.require_status(impl, *RUNNING)
    if body.milestone_id:
        milestone = await session.get(Milestone, body.milestone_id)
        if milestone is None or milestone.proposal_id != impl.proposal_id:
            raise Unprocessable("milestone_id is not a milestone of this project.", code="milestone_not_in_project")
    if body.photo_ids:
        found = set(
            await session.scalars(
                select(ProposalAttachment.id).where(
                    ProposalAttachment.id.in_(body.photo_ids),
                    ProposalAttachment.proposal_id == impl.proposal_id,
                    ProposalAttachment.content_type.startswith("image/"),
                )
            )
        )
        missing = [str(p) for p in body.photo_ids if p not in found]
        if missing:
            raise Unprocessable(
                "Some photos are not image attachments of this project.",
                code="photo_not_in_project",
                extra={"photo_ids": missing},
            )
    reported_on = body.reported_on or clock.today()
    if reported_on > clock.today():
        raise Unprocessable("A progress report cannot be dated in the future.", code="reported_on_invalid")
    update = ProgressUpdate(
        proposal_id=impl.proposal_id,
        milestone_id=body.milestone_id,
        text=body.text,
        photo_ids=[str(p) for p in dict.fromkeys(body.photo_ids)],
        reported_on=reported_on,
        created_by=principal.actor.id,
    )
    session.add(update)
    await session.flush()
    await record(
        session,
        principal.actor,
        "progress.add",
        "proposal",
        impl.proposal_id,
        after={"update_id": str(update.id), "text": body.text, "photos": update.photo_ids},
        region_path=impl.region_path,
    )
    return update


async def view(session: AsyncSession, impl: Implementation) -> dict[str, Any]:
    """Implementer, milestones (with overdue flags) and progress, newest report first."""
    now = clock.today()
    milestones = await session.scalars(
        select(Milestone).where(Milestone.proposal_id == impl.proposal_id).order_by(Milestone.position)
    )
    updates = await session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.proposal_id == impl.proposal_id)
        .order_by(ProgressUpdate.reported_on.desc(), ProgressUpdate.created_at.desc())
    )
    return {
        "proposal_id": impl.proposal_id,
        "community_id": impl.community_id,
        "title": impl.title,
        "implementer_kind": impl.implementer_kind,
        "implementer_name": impl.implementer_name,
        "started_on": impl.started_on,
        "status": impl.status,
        "budget_fen": impl.budget_fen,
        "category": impl.category,
        "purpose": impl.purpose,
        "mid_term_due_on": impl.mid_term_due_on,
        "ended_on": impl.ended_on,
        "milestones": [
            {**m.model_dump(), "overdue": m.done_on is None and m.waived_reason is None and m.due_on < now}
            for m in milestones
        ],
        "progress": [u.model_dump() for u in updates],
    }


async def overdue_page(session: AsyncSession, principal: Principal, as_of: date, page: PageParams) -> dict[str, Any]:
    """One page of overdue milestones with their project and how many days late."""
    stmt = overdue_statement(principal, as_of)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.execute(stmt.limit(page.limit).offset(page.offset))).all()
    items = [
        {
            "proposal_id": impl.proposal_id,
            "project_title": impl.title,
            "community_id": impl.community_id,
            "milestone_id": m.id,
            "milestone_title": m.title,
            "due_on": m.due_on,
            "days_overdue": (as_of - m.due_on).days,
        }
        for m, impl in rows
    ]
    return {"items": items, "total": total or 0, "limit": page.limit, "offset": page.offset}


def overdue_statement(principal: Principal, as_of: date) -> Select:
    """Open milestones past their due date in the caller's region, most overdue first."""
    stmt = (
        select(Milestone, Implementation)
        .join(Implementation, Implementation.proposal_id == Milestone.proposal_id)
        .where(
            Milestone.done_on.is_(None),
            Milestone.waived_reason.is_(None),
            Milestone.due_on < as_of,
            Implementation.status.in_(RUNNING),
        )
    )
    return restrict_to_region(stmt, principal, Implementation.region_path).order_by(Milestone.due_on, Milestone.id)


async def public_photo(session: AsyncSession, attachment_id: uuid.UUID) -> ProposalAttachment:
    """A photo the public may see: an attachment some progress report shows; 404 otherwise."""
    attachment = await get_or_404(
        session,
        ProposalAttachment,
        attachment_id,
        code="photo_not_found",
        detail="No published photo with that id.",
        accept=lambda a: a.content_type.startswith("image/"),
    )
    updates = await session.scalars(
        select(ProgressUpdate.photo_ids).where(ProgressUpdate.proposal_id == attachment.proposal_id)
    )
    if not any(str(attachment_id) in ids for ids in updates):
        raise NotFound("No published photo with that id.", code="photo_not_found")
    return attachment
