"""Notices: publishing a round's selected projects or an upcoming meeting, restarting an item, concluding."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Actor, record
from app.auth.models import Organisation
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.deliberation.models import Meeting
from app.funds import rules as fund_rules
from app.funds.models import FundSource, FundSourceKind
from app.notices import calendars_service, rules
from app.notices.models import ItemStatus, Notice, NoticeItem, NoticeKind, NoticeStatus, Objection, ObjectionStatus
from app.notices.workdays import WindowEnd
from app.notifications import outbox
from app.programmes.models import Programme
from app.programmes.service import programme_rules
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal
from app.regions.models import Region
from app.voting import policy
from app.voting.models import RoundProject, RoundStatus, VotingRound

DEFAULT_HOW_TO_OBJECT = "公示期间，任何单位和个人均可通过本页面在线提出异议，或以书面、来电形式向社区居委会反映。"


def snapshot(notice: Notice) -> dict[str, Any]:
    """The audited state of a notice."""
    return {
        "kind": notice.kind,
        "title": notice.title,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "window_unit": notice.window_unit,
        "window_days": notice.window_days,
        "status": notice.status,
        "assumed_weekdays": notice.assumed_weekdays,
    }


async def get_notice(session: AsyncSession, notice_id: uuid.UUID, *, lock: str | None = None) -> Notice:
    """The notice or 404; `lock` takes its row lock on PostgreSQL (orders objections and conclusion)."""
    return await get_or_404(
        session, Notice, notice_id, code="notice_not_found", detail="No notice with that id.", lock=lock, fresh=True
    )


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> NoticeItem:
    """A project under notice, or 404."""
    return await get_or_404(
        session, NoticeItem, item_id, code="item_not_found", detail="No project under notice with that id."
    )


async def notice_for(
    session: AsyncSession, principal: Principal, notice_id: uuid.UUID, *, organise: bool, lock: str | None = None
) -> Notice:
    """The notice as the caller may read (404 outside their region) or run it."""
    notice = await get_notice(session, notice_id, lock=lock)
    policy.check(principal, notice.region_path, "notice", organise=organise)
    return notice


async def items_of(session: AsyncSession, notice_id: uuid.UUID) -> list[NoticeItem]:
    """The notice's projects in ballot (or rank) order; an award notice's community and work-method awards last."""
    return list(
        await session.scalars(
            select(NoticeItem)
            .where(NoticeItem.notice_id == notice_id)
            .order_by(NoticeItem.number.is_(None), NoticeItem.number, NoticeItem.title)
        )
    )


async def window_for(
    session: AsyncSession, programme: Programme, starts_on: date, days: int | None
) -> tuple[WindowEnd, int]:
    """The window under the programme's notice rule; 422 when shorter than its minimum."""
    rule = programme_rules(programme).notice
    days = rule.days if days is None else days
    if problem := rules.too_short(rule, days):
        raise Unprocessable(problem, code="notice_too_short", extra={"minimum_days": rule.days, "unit": rule.unit})
    return rules.window(rule, days, starts_on, await calendars_service.custom_calendars(session, starts_on.year)), days


def _check_start(starts_on: date) -> None:
    if starts_on < clock.today():
        raise Unprocessable("A notice cannot start in the past.", code="notice_in_past")


async def funding_sources(session: AsyncSession, pilot_id: uuid.UUID) -> list[dict[str, Any]]:
    """The pilot's sources as a notice publishes them: private payers unnamed, as on the public finance page."""
    rows = await session.scalars(
        select(FundSource).where(FundSource.pilot_id == pilot_id).order_by(FundSource.dated, FundSource.kind)
    )
    return [disclosed_source(s.kind.value, s.payer, s.planned_fen) for s in rows]


def disclosed_source(kind: str, payer: str | None, planned_fen: int | None) -> dict[str, Any]:
    """One funding source of a notice item under the funds' disclosure rule (also applied to items stored earlier)."""
    return {"kind": kind, "payer": fund_rules.disclosed_payer(FundSourceKind(kind), payer), "planned_fen": planned_fen}


async def default_implementer(session: AsyncSession, proposal: Proposal) -> str:
    """The proposing organisation, else the community's residents' committee (居民委员会)."""
    if proposal.proposer_organisation_id:
        org = await session.get(Organisation, proposal.proposer_organisation_id)
        if org:
            return org.name
    community = await session.get(Region, proposal.community_id)
    return f"{community.name}居民委员会" if community else "社区居民委员会"


async def new_item(
    session: AsyncSession,
    notice: Notice,
    proposal: Proposal,
    project: RoundProject,
    sources: list[dict[str, Any]],
    implementer: str | None,
    starts_on: date,
    ends_on: date,
    by: Process,
) -> NoticeItem:
    """Put one selected proposal under notice (selected → in_notice)."""
    item = NoticeItem(
        notice_id=notice.id,
        proposal_id=proposal.id,
        number=project.number,
        title=project.title,
        project_type=proposal.project_type,
        category=proposal.category,
        summary=f"{proposal.need}\n{proposal.plan}\n{proposal.benefits}"[:4000],
        amount_fen=project.cost_fen,
        funding_sources=sources,
        implementer=implementer or await default_implementer(session, proposal),
        votes=project.votes,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(item)
    await transition(session, proposal, ProposalState.in_notice, by, details={"notice_id": str(notice.id)})
    return item


async def publish_selection(
    session: AsyncSession,
    principal: Principal,
    round_id: uuid.UUID,
    *,
    starts_on: date | None,
    days: int | None,
    how_to_object: str | None,
    implementers: dict[uuid.UUID, str],
) -> Notice:
    """Publish the projects a closed round selected; each moves to 公示中 (in_notice)."""
    rnd = await get_or_404(
        session, VotingRound, round_id, code="round_not_found", detail="No voting round with that id."
    )
    policy.check_organise(principal, rnd.region_path, "round")
    if rnd.status != RoundStatus.closed:
        raise Conflict("Only a closed, counted round's selection can be published.", code="round_not_closed")
    if (rnd.result or {}).get("advisory"):
        raise Conflict(
            "本轮居民投票的结果计入专家评审，入选项目由评审委员会公示"
            "（POST /api/v1/review-panels/{id}/notice）。"
            " This round's votes feed the expert review; its panel publishes the selection.",
            code="round_advisory",
        )
    if await session.scalar(select(exists().where(Notice.round_id == rnd.id))):
        raise Conflict("This round's selection is already under notice.", code="notice_exists")
    programme = await session.get(Programme, rnd.programme_id)
    starts_on = starts_on or clock.today()
    _check_start(starts_on)
    end, days = await window_for(session, programme, starts_on, days)
    rows = (
        await session.execute(
            select(RoundProject, Proposal)
            .join(Proposal, Proposal.id == RoundProject.proposal_id)
            .where(RoundProject.round_id == rnd.id, RoundProject.selected.is_(True))
            .order_by(RoundProject.number)
        )
    ).all()
    unknown = set(implementers) - {p.id for _, p in rows}
    if unknown:
        raise Unprocessable(
            "implementers names proposals the round did not select.",
            code="implementer_unknown",
            extra={"proposal_ids": sorted(str(i) for i in unknown)},
        )
    community = await session.get(Region, rnd.community_id)
    notice = Notice(
        kind=NoticeKind.selection,
        programme_id=rnd.programme_id,
        community_id=rnd.community_id,
        region_path=rnd.region_path,
        round_id=rnd.id,
        title=f"{community.name}{programme.year}年度{rnd.title}入选项目公示",
        how_to_object=how_to_object or DEFAULT_HOW_TO_OBJECT,
        starts_on=starts_on,
        ends_on=end.end,
        window_unit=programme_rules(programme).notice.unit,
        window_days=days,
        calendar_sources=list(end.sources),
        assumed_weekdays=end.assumed_weekdays,
        published_by=principal.actor.id,
    )
    session.add(notice)
    await session.flush()
    sources, by = await funding_sources(session, rnd.pilot_id), Process("notice", principal.actor)
    for project, proposal in rows:
        await new_item(
            session, notice, proposal, project, sources, implementers.get(proposal.id), starts_on, end.end, by
        )
    await session.flush()
    await record(
        session,
        principal.actor,
        "notice.publish",
        "notice",
        notice.id,
        after={**snapshot(notice), "round_id": str(rnd.id), "projects": [p.number for p, _ in rows]},
        region_path=notice.region_path,
    )
    outbox.notice_published(session, notice)
    return notice


async def publish_meeting(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, starts_on: date | None
) -> Notice:
    """Announce an upcoming meeting (time, place, host, participants, form) until the day it is held."""
    meeting = await get_or_404(
        session, Meeting, meeting_id, code="meeting_not_found", detail="No meeting with that id."
    )
    policy.check_organise(principal, meeting.region_path, "meeting")
    held_on = rules.today(meeting.scheduled_at)
    starts_on = starts_on or clock.today()
    _check_start(starts_on)
    if held_on < starts_on or meeting.state.value != "announced":
        raise Conflict("Only a meeting still ahead can be announced.", code="meeting_not_ahead")
    local = meeting.scheduled_at.astimezone(rules.SHANGHAI)
    notice = Notice(
        kind=NoticeKind.meeting,
        programme_id=meeting.programme_id,
        community_id=meeting.community_id,
        region_path=meeting.region_path,
        meeting_id=meeting.id,
        title=f"关于召开{meeting.topic}的公告",
        body=(
            f"时间：{local:%Y年%m月%d日 %H:%M}\n地点：{meeting.place}\n主持人：{meeting.host}\n"
            f"参会人员：{meeting.participants}\n形式：{meeting.form.value}\n居民可向社区居委会报名列席。"
        ),
        starts_on=starts_on,
        ends_on=held_on,
        window_unit="until_meeting",
        window_days=(held_on - starts_on).days + 1,
        published_by=principal.actor.id,
    )
    session.add(notice)
    await session.flush()
    await record(
        session,
        principal.actor,
        "notice.publish",
        "notice",
        notice.id,
        after={**snapshot(notice), "meeting_id": str(meeting.id)},
        region_path=notice.region_path,
    )
    outbox.notice_published(session, notice)
    return notice


async def end_meeting_notices(session: AsyncSession, actor: Actor, meeting: Meeting) -> None:
    """A meeting's announcement ends the day the meeting is held (closed): its window ends that day and it
    concludes, so the board no longer shows a meeting that has taken place as coming up."""
    held_on = rules.today(meeting.closed_at or utcnow())
    notices = await session.scalars(
        select(Notice).where(
            Notice.meeting_id == meeting.id, Notice.kind == NoticeKind.meeting, Notice.status == NoticeStatus.published
        )
    )
    for notice in notices.all():
        before = snapshot(notice)
        # Never before its first day: an announcement that had not started simply never runs.
        notice.ends_on = max(held_on, notice.starts_on)
        notice.window_days = (notice.ends_on - notice.starts_on).days + 1
        notice.status, notice.concluded_at, notice.concluded_by = NoticeStatus.concluded, utcnow(), actor.id
        await session.flush()
        await record(
            session,
            actor,
            "notice.conclude",
            "notice",
            notice.id,
            before=before,
            after={**snapshot(notice), "meeting_id": str(meeting.id), "reason": "meeting_held"},
            region_path=notice.region_path,
        )


async def restart_item(
    session: AsyncSession, principal: Principal, item: NoticeItem, notice: Notice, changes: dict[str, Any]
) -> NoticeItem:
    """A material change (budget, content, implementer) is published and the item's notice starts over today.

    A project not yet confirmed may change so after its notice concluded (confirmation refuses such a change
    and sends it here): the notice reopens for it, objections are taken again, and it concludes once more."""
    if item.status != ItemStatus.under_notice:
        raise Conflict("Only a project still under notice can change.", code="item_not_under_notice")
    programme = await session.get(Programme, notice.programme_id)
    before = {
        "amount_fen": item.amount_fen,
        "summary": item.summary,
        "implementer": item.implementer,
        "starts_on": item.starts_on,
        "ends_on": item.ends_on,
        "notice_status": notice.status.value,
    }
    if notice.status == NoticeStatus.concluded:
        notice.status, notice.concluded_at, notice.concluded_by = NoticeStatus.published, None, None
    for key in ("amount_fen", "summary", "implementer"):
        if changes.get(key) is not None:
            setattr(item, key, changes[key])
    starts_on = clock.today()
    end, _ = await window_for(session, programme, starts_on, notice.window_days)
    item.starts_on, item.ends_on, item.restarts = starts_on, end.end, item.restarts + 1
    item.status_reason, item.updated_at = changes["reason"], utcnow()
    notice.ends_on = max(notice.ends_on, end.end)
    await session.flush()
    await record(
        session,
        principal.actor,
        "notice.item_restart",
        "notice_item",
        item.id,
        before=before,
        after={
            "amount_fen": item.amount_fen,
            "summary": item.summary,
            "implementer": item.implementer,
            "starts_on": item.starts_on,
            "ends_on": item.ends_on,
            "reason": changes["reason"],
            "notice_status": notice.status.value,
        },
        region_path=notice.region_path,
    )
    return item


async def open_objections(session: AsyncSession, notice_id: uuid.UUID) -> int:
    """Objections on the notice still waiting for an answer."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.notice_id == notice_id, Objection.status == ObjectionStatus.open)
        )
        or 0
    )


async def conclude(session: AsyncSession, principal: Principal, notice: Notice) -> Notice:
    """End the notice: only after every item's window and with no objection open (the row lock orders this
    against objections being filed)."""
    if notice.status == NoticeStatus.concluded:
        raise Conflict("The notice has concluded already.", code="notice_concluded")
    today = clock.today()
    if notice.kind == NoticeKind.selection:
        last = max(
            [i.ends_on for i in await items_of(session, notice.id) if i.status == ItemStatus.under_notice]
            or [notice.ends_on]
        )
    else:
        last = notice.ends_on
    if today <= last:
        raise Conflict(
            f"The notice runs until {last.isoformat()} inclusive.",
            code="notice_still_open",
            extra={"ends_on": last.isoformat()},
        )
    waiting = await open_objections(session, notice.id)
    if waiting:
        raise Conflict(
            f"{waiting} objection(s) are still open; answer them first.",
            code="objections_open",
            extra={"open_objections": waiting},
        )
    notice.status, notice.concluded_at, notice.concluded_by = NoticeStatus.concluded, utcnow(), principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "notice.conclude",
        "notice",
        notice.id,
        after=snapshot(notice),
        region_path=notice.region_path,
    )
    return notice


def list_statement(principal: Principal | None, community_id: uuid.UUID | None, current: bool | None) -> Select:
    """Notices newest first, in the caller's region (all of them for the public)."""
    stmt = select(Notice)
    if principal is not None:
        stmt = restrict_to_region(stmt, principal, Notice.region_path)
    if community_id:
        stmt = stmt.where(Notice.community_id == community_id)
    if current is not None:
        stmt = stmt.where(
            (Notice.status == NoticeStatus.published) if current else (Notice.status == NoticeStatus.concluded)
        )
    return stmt.order_by(Notice.starts_on.desc(), Notice.published_at.desc(), Notice.id)
