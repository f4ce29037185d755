"""Objections: anyone files one while a project is under notice; staff dismiss or uphold it with a public reply.

Upholding removes the project from the round's result (or sends it back to deliberation); the freed money
is offered to the next projects in line under the round's rule, which go under notice in turn. A review
panel's result (公益微创投) is changed the same way: the application is withdrawn from the panel's selection and
the freed money goes down the panel's ranking to the next applications that fit, each published under the
same notice with a window of its own.
"""

import uuid
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.service import Actor, record
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.notices import rules, service
from app.notices.models import ItemStatus, Notice, NoticeItem, NoticeKind, NoticeStatus, Objection, ObjectionStatus
from app.notices.models import Reallocation as ReallocationRow
from app.notifications import outbox
from app.programmes.models import Programme
from app.programmes.ruleset import POINT_BALLOTS
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal
from app.review import notice as review_notice
from app.review import service as review_service
from app.review.models import ReviewPanel
from app.voting import ballots_service, rounds_service, tally_service
from app.voting.models import RoundProject

# Notices whose items residents may object to; a meeting announcement has no items.
OBJECTABLE = (NoticeKind.selection, NoticeKind.award)
REMOVING = {
    "remove": (ItemStatus.removed, ProposalState.not_selected),
    "back_to_deliberation": (ItemStatus.back_to_deliberation, ProposalState.in_deliberation),
}
# What an upheld objection may do, by notice: a selected project leaves or goes back; an award is withdrawn.
ACTIONS = {NoticeKind.selection: tuple(REMOVING), NoticeKind.award: ("withdraw",)}
AWARD_DECIDERS = "区级管理员（district_admin）"


async def file_objection(
    session: AsyncSession,
    actor: Actor,
    user_id: uuid.UUID | None,
    client_digest: str,
    notice_id: uuid.UUID,
    item_id: uuid.UUID,
    reason: str,
    contact: str | None,
) -> Objection:
    """Record an objection to a project while its notice window is open (both end days included)."""
    notice = await service.get_notice(session, notice_id, lock="share")
    item = await get_or_404(
        session,
        NoticeItem,
        item_id,
        code="item_not_found",
        detail="No such project under this notice.",
        accept=lambda i: i.notice_id == notice.id and notice.kind in OBJECTABLE,
    )
    if item.status != ItemStatus.under_notice or notice.status != NoticeStatus.published:
        raise Conflict("This project is no longer under notice.", code="item_not_under_notice")
    phase = rules.phase(item.starts_on, item.ends_on, clock.today())
    if phase != "open":
        raise Conflict(
            f"Objections are taken from {item.starts_on.isoformat()} to {item.ends_on.isoformat()}.",
            code="notice_not_open",
            extra={"starts_on": item.starts_on.isoformat(), "ends_on": item.ends_on.isoformat()},
        )
    objection = Objection(
        notice_id=notice.id,
        item_id=item.id,
        tracking_code=rules.tracking_code(),
        reason=reason,
        contact=contact,
        submitted_by_user_id=user_id,
        client_digest=client_digest,
    )
    session.add(objection)
    await session.flush()
    outbox.objection_filed(session, objection, notice, item.title)
    # The contact stays out of the trail, like everything personal about the objector.
    await record(
        session,
        actor,
        "objection.file",
        "objection",
        objection.id,
        after={"notice_id": str(notice.id), "item_id": str(item.id), "reason": reason},
        region_path=notice.region_path,
    )
    return objection


async def by_code(session: AsyncSession, code: str) -> Objection:
    """The objection with this tracking code, or 404."""
    objection = await session.scalar(select(Objection).where(Objection.tracking_code == code.strip().upper()))
    if objection is None:
        raise NotFound("No objection has that tracking code.", code="objection_not_found")
    return objection


async def track(session: AsyncSession, code: str) -> dict[str, Any]:
    """What the objector sees with their tracking code: the project, status and reply."""
    objection = await by_code(session, code)
    item = await session.get(NoticeItem, objection.item_id)
    return {
        "tracking_code": objection.tracking_code,
        "notice_id": objection.notice_id,
        "project_title": item.title,
        "status": objection.status,
        "submitted_at": objection.submitted_at,
        "reply": objection.reply,
        "handled_at": objection.handled_at,
    }


async def by_id(session: AsyncSession, objection_id: uuid.UUID) -> Objection:
    """The objection, or 404."""
    return await get_or_404(
        session, Objection, objection_id, code="objection_not_found", detail="No objection with that id."
    )


async def get_for(session: AsyncSession, principal: Principal, objection_id: uuid.UUID) -> tuple[Objection, Notice]:
    """The objection and its notice, locked, as the caller may handle it; objections to awards are the district's
    and are answered through their award run."""
    objection = await by_id(session, objection_id)
    if (await service.get_notice(session, objection.notice_id)).kind == NoticeKind.award:
        raise Forbidden(
            f"对评估结果及表彰公示的异议由{AWARD_DECIDERS}答复："
            "POST /api/v1/award-runs/{run_id}/objections/{objection_id}/decision。",
            code="award_objection_forbidden",
            extra={"roles": ["district_admin"]},
        )
    notice = await service.notice_for(session, principal, objection.notice_id, organise=True, lock="update")
    return objection, notice


def check_action(kind: NoticeKind, outcome: str, action: str | None) -> None:
    """422 when an upheld objection's action does not fit the notice (an award is only withdrawn)."""
    if outcome != "upheld" or action in ACTIONS.get(kind, ()):
        return
    if kind == NoticeKind.award:
        raise Unprocessable(
            "对奖项的异议成立时只能撤销该奖项（action: withdraw）；不成立请以 dismissed 答复。",
            code="award_objection_action",
            extra={"allowed": list(ACTIONS[kind])},
        )
    raise Unprocessable(
        "对入选项目的异议成立时，action 为 remove（撤销）或 back_to_deliberation（退回审议）。",
        code="objection_action",
        extra={"allowed": list(ACTIONS[kind])},
    )


async def decide(
    session: AsyncSession,
    principal: Principal,
    objection: Objection,
    notice: Notice,
    outcome: str,
    reply: str,
    ground: str | None,
    action: str | None,
) -> dict[str, Any]:
    """Dismiss or uphold with a written reply; upholding takes the project out and reallocates its money, or
    withdraws the award."""
    check_action(notice.kind, outcome, action)
    await session.refresh(objection, with_for_update=True)
    if objection.status != ObjectionStatus.open:
        raise Conflict("该异议已经答复。", code="objection_closed")
    result: dict[str, Any] = {"objection": objection, "reallocation": None}
    item = await session.get(NoticeItem, objection.item_id, with_for_update=True)
    if outcome == "upheld" and notice.kind == NoticeKind.award and item.status == ItemStatus.removed:
        raise Conflict(
            "该奖项已因另一异议成立而撤销，不能再次撤销；请以 dismissed 答复本异议。", code="award_already_withdrawn"
        )
    objection.status = ObjectionStatus.dismissed if outcome == "dismissed" else ObjectionStatus.upheld
    objection.reply, objection.handled_by, objection.handled_at = reply, principal.actor.id, utcnow()
    if outcome == "upheld":
        objection.upheld_ground, objection.upheld_action = ground, action
        if item.status == ItemStatus.under_notice:
            result["reallocation"] = await _take_out(session, principal, objection, notice, item, action)
    await session.flush()
    item = await session.get(NoticeItem, objection.item_id)
    outbox.objection_answered(session, objection, item.title)
    await record(
        session,
        principal.actor,
        f"objection.{objection.status.value}",
        "objection",
        objection.id,
        after={"reply": reply, "ground": ground, "action": action},
        region_path=notice.region_path,
    )
    return result


async def _take_out(
    session: AsyncSession, principal: Principal, objection: Objection, notice: Notice, item: NoticeItem, action: str
) -> ReallocationRow | None:
    if notice.kind == NoticeKind.award:
        # The award alone is withdrawn; the completed project itself stays as it is.
        item.status, item.updated_at = ItemStatus.removed, utcnow()
        item.status_reason = f"异议成立，奖项撤销：{objection.reply}"[:500]
        return None
    item_status, proposal_state = REMOVING[action]
    item.status, item.status_reason, item.updated_at = item_status, f"异议成立：{objection.reply}"[:500], utcnow()
    by = Process("notice", principal.actor)
    proposal = await session.get(Proposal, item.proposal_id)
    await transition(
        session,
        proposal,
        proposal_state,
        by,
        reason="公示期间异议成立",
        details={"objection_id": str(objection.id), "action": action},
    )
    if notice.review_panel_id is not None:
        return await _reallocate_panel(session, principal, objection, notice, item, by)
    if notice.round_id is None:
        return None
    return await _reallocate(session, principal, objection, notice, item, by)


async def _reallocate(
    session: AsyncSession, principal: Principal, objection: Objection, notice: Notice, item: NoticeItem, by: Process
) -> ReallocationRow:
    rnd = await rounds_service.get_round(session, notice.round_id)
    projects = await rounds_service.projects_of(session, rnd.id)
    await session.execute(
        update(RoundProject)
        .where(RoundProject.round_id == rnd.id, RoundProject.proposal_id == item.proposal_id)
        .values(selected=False)
    )
    taken_out = {
        i.number
        for i in await service.items_of(session, notice.id)
        if i.status in (ItemStatus.removed, ItemStatus.back_to_deliberation)
    }
    selected = [p.number for p in projects if p.selected and p.number not in taken_out]
    points = (
        await ballots_service.points_profile_of(session, rnd.id)
        if rounds_service.ballot_rule(rnd).ballot_type in POINT_BALLOTS
        else None
    )
    tally = tally_service.tally_input(rnd, projects, await ballots_service.profile_of(session, rnd.id), points)
    # Only the money the round held for this project is offered: what the round left unallocated at its close
    # was released then (app.voting.reservations_service), and another round may hold it now.
    freed = next(p.cost_fen for p in projects if p.proposal_id == item.proposal_id)
    plan = rules.reallocate(tally, selected, taken_out, freed)
    by_number = {p.number: p for p in projects}
    for number in plan.newly_selected:
        await session.execute(
            update(RoundProject)
            .where(RoundProject.round_id == rnd.id, RoundProject.proposal_id == by_number[number].proposal_id)
            .values(selected=True)
        )
    await _republish(
        session, notice, objection, rnd.programme_id, rnd.pilot_id, [by_number[n] for n in plan.newly_selected], by
    )
    row = ReallocationRow(
        round_id=rnd.id,
        objection_id=objection.id,
        removed_number=item.number,
        newly_selected=list(plan.newly_selected),
        explanation={"kept": list(plan.kept), "money_left_fen": plan.money_left_fen, "steps": list(plan.steps)},
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        principal.actor,
        "round.reallocate",
        "voting_round",
        rnd.id,
        after={
            "removed": item.number,
            "newly_selected": list(plan.newly_selected),
            "money_left_fen": plan.money_left_fen,
        },
        region_path=rnd.region_path,
    )
    return row


async def _republish(
    session: AsyncSession,
    notice: Notice,
    objection: Objection,
    programme_id: uuid.UUID,
    pilot_id: uuid.UUID,
    projects: list[Any],
    by: Process,
) -> None:
    """Each project the freed money reached moves 未入选 → 入选 and goes under the same notice with a full window
    of its own from today (the changed result is published again); the notice runs until its last item ends."""
    if not projects:
        return
    sources, today = await service.funding_sources(session, pilot_id), clock.today()
    programme = await session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No programme with that id.", code="programme_not_found")
    end, _ = await service.window_for(session, programme, today, notice.window_days)
    for project in projects:
        proposal = await session.get(Proposal, project.proposal_id)
        if proposal is None:
            raise NotFound("No proposal with that id.", code="proposal_not_found")
        await transition(
            session,
            proposal,
            ProposalState.selected,
            by,
            reason="异议成立后递补入选",
            details={"objection_id": str(objection.id)},
        )
        await service.new_item(session, notice, proposal, project, sources, None, today, end.end, by)
    notice.ends_on = max(notice.ends_on, end.end)


async def _reallocate_panel(
    session: AsyncSession, principal: Principal, objection: Objection, notice: Notice, item: NoticeItem, by: Process
) -> ReallocationRow:
    """The review panel's result without the application taken out: its money goes down the panel's ranking
    (notices.rules.reallocate_ranking) to applications still 未入选, which go under notice in turn."""
    panel = await session.get(ReviewPanel, notice.review_panel_id, with_for_update=True)
    if panel is None:
        raise NotFound("没有该评审委员会。", code="panel_not_found")
    applications = await review_service.applications_of(session, panel.id)
    removed = next(a for a in applications if a.proposal_id == item.proposal_id)
    removed.selected = False
    taken_out = {
        i.number
        for i in await service.items_of(session, notice.id)
        if i.number is not None and i.status in (ItemStatus.removed, ItemStatus.back_to_deliberation)
    }
    states: dict[uuid.UUID, ProposalState] = {
        pid: state
        for pid, state in (
            await session.execute(
                select(col(Proposal.id), col(Proposal.state)).where(
                    col(Proposal.id).in_([a.proposal_id for a in applications])
                )
            )
        )
    }
    selected = [a.number for a in applications if a.selected and a.number not in taken_out]
    # Only an application ranked at the close and still 未入选 may gain the money (not one withdrawn since).
    ranking = [
        rules.Ranked(a.number, a.standing, a.cost_fen)
        for a in applications
        if a.standing is not None and (a.selected or states[a.proposal_id] == ProposalState.not_selected)
    ]
    plan = rules.reallocate_ranking(ranking, panel.budget_fen, selected, taken_out, removed.cost_fen)
    by_number = {a.number: a for a in applications}
    for number in plan.newly_selected:
        by_number[number].selected = True
    await _republish(
        session,
        notice,
        objection,
        panel.programme_id,
        panel.pilot_id,
        [review_notice.NoticedApplication(by_number[n]) for n in plan.newly_selected],
        by,
    )
    row = ReallocationRow(
        review_panel_id=panel.id,
        objection_id=objection.id,
        removed_number=removed.number,
        newly_selected=list(plan.newly_selected),
        explanation={"kept": list(plan.kept), "money_left_fen": plan.money_left_fen, "steps": list(plan.steps)},
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        principal.actor,
        "review_panel.reallocate",
        "review_panel",
        panel.id,
        after={
            "removed": item.number,
            "newly_selected": list(plan.newly_selected),
            "money_left_fen": plan.money_left_fen,
        },
        region_path=panel.region_path,
    )
    return row


def queue_statement(principal: Principal, status: ObjectionStatus | None, notice_id: uuid.UUID | None) -> Select:
    """Objections in the caller's region, oldest first (the staff queue)."""
    stmt = restrict_to_region(
        select(Objection).join(Notice, Notice.id == Objection.notice_id), principal, Notice.region_path
    )
    if status:
        stmt = stmt.where(Objection.status == status)
    if notice_id:
        stmt = stmt.where(Objection.notice_id == notice_id)
    return stmt.order_by(Objection.submitted_at, Objection.id)
