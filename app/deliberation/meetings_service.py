"""Meeting lifecycle: announce → open the session (roster total and rules frozen) → close (immutable); cancel."""

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.deliberation import policy, roster_service, rules
from app.deliberation.enums import OUTCOME_LABELS, MeetingState, MotionOutcome
from app.deliberation.models import Meeting, MeetingMinutes, MeetingSignIn, MinutesItem, Motion
from app.deliberation.schemas import MeetingCancel, MeetingClose, MeetingCreate
from app.notices import service as notices
from app.programmes.lookup import open_programme_for, rules_of
from app.programmes.models import Programme
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.service import get_proposal
from app.regions.models import Region
from app.regions.rules import is_within

# What a closed meeting's outcome does to the proposal behind the item.
PROPOSAL_STATE_AFTER = {
    MotionOutcome.passed: ProposalState.shortlisted,
    MotionOutcome.failed: ProposalState.rejected,
    MotionOutcome.deferred: ProposalState.deferred,
    MotionOutcome.referred: ProposalState.deferred,
}


def snapshot(meeting: Meeting) -> dict[str, Any]:
    """The audited state of a meeting."""
    return {
        k: getattr(meeting, k)
        for k in (
            "id",
            "community_id",
            "programme_id",
            "topic",
            "scheduled_at",
            "place",
            "host",
            "participants",
            "form",
            "state",
            "total_representatives",
            "quorum_numerator",
            "quorum_denominator",
            "majority_base",
            "attendance",
            "quorate",
        )
    }


async def get_meeting(session: AsyncSession, meeting_id: uuid.UUID) -> Meeting:
    """The meeting, or 404."""
    return await get_or_404(session, Meeting, meeting_id, code="meeting_not_found", detail="No meeting with that id.")


async def lock(session: AsyncSession, meeting: Meeting) -> Meeting:
    """Re-read the meeting under a row lock (PostgreSQL) so sign-ins, votes and the close are serialised."""
    return (
        await session.scalars(
            select(Meeting).where(Meeting.id == meeting.id).with_for_update().execution_options(populate_existing=True)
        )
    ).one()


def require_state(meeting: Meeting, *states: MeetingState) -> None:
    """409 unless the meeting is in one of states; a closed meeting is immutable."""
    if meeting.state in states:
        return
    if meeting.state == MeetingState.closed:
        raise Conflict("The meeting is closed; its records can no longer change.", code="meeting_closed")
    names = " or ".join(s.value for s in states)
    raise Conflict(
        f"The meeting is {meeting.state.value}; this needs it {names}.",
        code="meeting_wrong_state",
        extra={"state": meeting.state.value},
    )


async def attendance_of(session: AsyncSession, meeting_id: uuid.UUID) -> int:
    """Rows on the sign-in sheet."""
    return (
        await session.scalar(
            select(func.count()).select_from(MeetingSignIn).where(MeetingSignIn.meeting_id == meeting_id)
        )
        or 0
    )


async def announce(session: AsyncSession, principal: Principal, community: Region, data: MeetingCreate) -> Meeting:
    """Publish a meeting ahead of time: time, place, host, participants and form."""
    policy.check_organise(principal, community.path, "community")
    if data.scheduled_at <= utcnow():
        raise Unprocessable("A meeting is announced ahead: its time must be in the future.", code="meeting_in_past")
    if data.programme_id is not None:
        programme = await session.get(Programme, data.programme_id)
        if programme is None or not is_within(community.path, programme.region_path):
            raise Unprocessable("No such programme in the community's district.", code="unknown_programme")
    else:
        programme = await open_programme_for(session, community.path)
    meeting = Meeting(
        community_id=community.id,
        region_path=community.path,
        programme_id=programme.id if programme else None,
        topic=data.topic,
        scheduled_at=data.scheduled_at,
        place=data.place,
        host=data.host,
        participants=data.participants,
        form=data.form,
        created_by=principal.actor.id,
    )
    session.add(meeting)
    await session.flush()
    await record(
        session,
        principal.actor,
        "meeting.announce",
        "meeting",
        meeting.id,
        after=snapshot(meeting),
        region_path=meeting.region_path,
    )
    return meeting


async def cancel(session: AsyncSession, principal: Principal, meeting: Meeting, data: MeetingCancel) -> Meeting:
    """Call off a meeting that has not started."""
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.announced)
    before = snapshot(meeting)
    meeting.state, meeting.cancelled_at, meeting.cancel_reason = MeetingState.cancelled, utcnow(), data.reason
    await session.flush()
    await record(
        session,
        principal.actor,
        "meeting.cancel",
        "meeting",
        meeting.id,
        before=before,
        after={**snapshot(meeting), "reason": data.reason},
        region_path=meeting.region_path,
    )
    return meeting


async def open_session(session: AsyncSession, principal: Principal, meeting: Meeting) -> Meeting:
    """Start the session: the roster total and the programme's quorum and majority rule are frozen on the meeting."""
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.announced)
    other = await session.scalar(
        select(Meeting.id)
        .where(Meeting.community_id == meeting.community_id, Meeting.state == MeetingState.in_session)
        .limit(1)
    )
    if other is not None:
        raise Conflict("Another meeting of this community is in session.", code="meeting_in_session")
    total = await roster_service.active_count(session, meeting.community_id)
    if total == 0:
        raise Conflict("The community has no representatives on its roster.", code="empty_roster")
    programme = await session.get(Programme, meeting.programme_id) if meeting.programme_id else None
    rule = rules_of(programme).meeting
    before = snapshot(meeting)
    meeting.state, meeting.opened_at, meeting.total_representatives = MeetingState.in_session, utcnow(), total
    meeting.quorum_numerator, meeting.quorum_denominator = rule.quorum_numerator, rule.quorum_denominator
    meeting.majority_base = rule.majority_base
    await session.flush()
    await record(
        session,
        principal.actor,
        "meeting.open",
        "meeting",
        meeting.id,
        before=before,
        after=snapshot(meeting),
        region_path=meeting.region_path,
    )
    return meeting


def quorum_status(meeting: Meeting, attendance: int) -> dict[str, Any]:
    """Attendance against the frozen total and quorum."""
    total, num, den = meeting.total_representatives or 0, meeting.quorum_numerator or 2, meeting.quorum_denominator or 3
    return {
        "total_representatives": total,
        "attendance": attendance,
        "needed": rules.quorum_needed(total, num, den),
        "quorate": rules.is_quorate(attendance, total, num, den),
    }


def _deferral_note(quorate: bool, status: dict[str, Any]) -> str:
    if quorate:
        return "会议未对本议题作出表决，再议。"
    return (
        f"应到{status['total_representatives']}人，实到{status['attendance']}人，不足法定人数"
        f"（需{status['needed']}人），会议不作决定，再议。"
    )


async def close(session: AsyncSession, principal: Principal, meeting: Meeting, data: MeetingClose) -> Meeting:
    """Close for good: undecided items (all of them, when inquorate) are deferred; outcomes move the proposals;
    the meeting's public announcement ends that day."""
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.in_session)
    before = snapshot(meeting)
    attendance = await attendance_of(session, meeting.id)
    status = quorum_status(meeting, attendance)
    motions = list(
        (await session.scalars(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position))).all()
    )
    now = utcnow()
    for motion in motions:
        if motion.outcome is None:
            motion.outcome, motion.decided_at = MotionOutcome.deferred, now
            session.add(
                MinutesItem(
                    meeting_id=meeting.id,
                    motion_id=motion.id,
                    discussion=_deferral_note(status["quorate"], status),
                    result="再议",
                    recorded_by=principal.actor.id,
                )
            )
    meeting.state, meeting.closed_at = MeetingState.closed, now
    meeting.attendance, meeting.quorate = attendance, status["quorate"]
    session.add(
        MeetingMinutes(
            meeting_id=meeting.id,
            topic=meeting.topic,
            attendance=attendance,
            total_representatives=status["total_representatives"],
            quorate=status["quorate"],
            summary=data.summary,
            recorded_by=principal.actor.id,
        )
    )
    await session.flush()
    outcomes = [{"motion_id": m.id, "proposal_id": m.proposal_id, "outcome": m.outcome} for m in motions]
    await record(
        session,
        principal.actor,
        "meeting.close",
        "meeting",
        meeting.id,
        before=before,
        after={**snapshot(meeting), "outcomes": outcomes},
        region_path=meeting.region_path,
    )
    await notices.end_meeting_notices(session, principal.actor, meeting)
    process = Process("meeting", principal.actor)
    for motion in motions:
        if motion.proposal_id is None:
            continue
        proposal = await get_proposal(session, motion.proposal_id)
        # A proposal withdrawn while on the agenda keeps its state; the minutes still record the item.
        if proposal.state == ProposalState.in_deliberation:
            await transition(
                session,
                proposal,
                PROPOSAL_STATE_AFTER[motion.outcome],
                process,
                f"{meeting.topic}：{OUTCOME_LABELS[motion.outcome]}",
                details={"meeting_id": meeting.id, "motion_id": motion.id},
            )
    return meeting


def list_statement(principal: Principal, community_id: uuid.UUID | None, state: MeetingState | None) -> Select:
    """Meetings of the caller's region, newest first."""
    stmt = restrict_to_region(select(Meeting), principal, Meeting.region_path)
    if community_id:
        stmt = stmt.where(Meeting.community_id == community_id)
    if state:
        stmt = stmt.where(Meeting.state == state)
    return stmt.order_by(Meeting.scheduled_at.desc(), Meeting.id)
