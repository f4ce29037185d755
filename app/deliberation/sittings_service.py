"""During a meeting: the sign-in sheet, the agenda, each item's vote signature sheet, and its decision."""

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.deliberation import policy, rules
from app.deliberation.enums import MeetingState, VoteChoice
from app.deliberation.meetings_service import attendance_of, get_meeting, lock, quorum_status, require_state
from app.deliberation.models import (
    Meeting,
    MeetingMinutes,
    MeetingSignIn,
    MinutesItem,
    Motion,
    MotionVote,
    Representative,
)
from app.deliberation.schemas import DecisionCreate, MotionCreate, SignInCreate, VoteCreate
from app.implementation.budget_changes_service import awaits_meeting
from app.proposals import policy as proposal_policy
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal


async def get_motion(session: AsyncSession, motion_id: uuid.UUID) -> Motion:
    """The agenda item, or 404."""
    return await get_or_404(session, Motion, motion_id, code="motion_not_found", detail="No agenda item with that id.")


def _member(rep: Representative, meeting: Meeting) -> None:
    if rep.community_id != meeting.community_id or not rep.active:
        raise Unprocessable(
            "That person is not on this community's roster of representatives.", code="not_a_representative"
        )


async def sign_in(session: AsyncSession, principal: Principal, meeting: Meeting, data: SignInCreate) -> MeetingSignIn:
    """Record an attending representative on the sign-in sheet (once per meeting)."""
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.in_session)
    rep = await session.get(Representative, data.representative_id)
    if rep is None:
        raise Unprocessable("No representative with that id.", code="not_a_representative")
    _member(rep, meeting)
    row = MeetingSignIn(
        meeting_id=meeting.id,
        representative_id=rep.id,
        signed_at=data.signed_at or utcnow(),
        recorded_by=principal.actor.id,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The representative has already signed in.", code="already_signed_in") from exc
    await record(
        session,
        principal.actor,
        "meeting.sign_in",
        "meeting",
        meeting.id,
        after={"sign_in_id": row.id, "representative_id": rep.id, "signed_at": row.signed_at},
        region_path=meeting.region_path,
    )
    return row


async def _agenda_proposal(
    session: AsyncSession, principal: Principal, meeting: Meeting, proposal_id: uuid.UUID
) -> Proposal:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or not proposal_policy.staff_sees(principal, proposal):
        raise Unprocessable("No proposal with that id.", code="unknown_proposal")
    if proposal.community_id != meeting.community_id:
        raise Unprocessable("The proposal is for another community.", code="proposal_outside_community")
    # A large budget change of a project under way also goes before the representatives.
    budget_change = proposal.state == ProposalState.in_implementation and await awaits_meeting(session, proposal.id)
    if not budget_change and proposal.state not in rules.TABLEABLE_STATES:
        raise Conflict(
            f"Only a proposal in deliberation (or deferred, or rejected at an earlier meeting) goes on "
            f"the agenda; this one is {proposal.state.value}.",
            code="proposal_not_in_deliberation",
        )
    # One item per proposal per meeting (a unique constraint too): whether the first is decided or not, the
    # meeting has it already; a proposal that failed goes before a later meeting instead.
    here = await session.scalar(
        select(Motion.position).where(Motion.meeting_id == meeting.id, Motion.proposal_id == proposal.id)
    )
    if here is not None:
        raise Conflict(
            f"该提案已列入本次会议议程（第{here}项），不能重复列入。The proposal is already item {here} "
            "of this meeting's agenda.",
            code="proposal_already_on_agenda",
            extra={"position": here},
        )
    pending = await session.scalar(
        select(Motion.id)
        .join(Meeting, Meeting.id == Motion.meeting_id)
        .where(
            Motion.proposal_id == proposal.id,
            Motion.outcome.is_(None),
            Meeting.state.in_([MeetingState.announced, MeetingState.in_session]),
        )
        .limit(1)
    )
    if pending is not None:
        raise Conflict("The proposal is already on the agenda of an open meeting.", code="proposal_on_agenda")
    return proposal


async def add_motion(session: AsyncSession, principal: Principal, meeting: Meeting, data: MotionCreate) -> Motion:
    """Put an item on the agenda; a deferred proposal, or one a closed meeting rejected, comes back into
    deliberation."""
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, *rules.ACCEPTS_AGENDA)
    proposal = await _agenda_proposal(session, principal, meeting, data.proposal_id) if data.proposal_id else None
    title = data.title or (proposal.title if proposal else None)
    if not title:
        raise Unprocessable("An agenda item needs a title or a proposal.", code="title_required")
    position = (await session.scalar(select(func.max(Motion.position)).where(Motion.meeting_id == meeting.id)) or 0) + 1
    motion = Motion(
        meeting_id=meeting.id, position=position, title=title, proposal_id=proposal.id if proposal else None
    )
    session.add(motion)
    await session.flush()
    await record(
        session,
        principal.actor,
        "meeting.motion_add",
        "meeting",
        meeting.id,
        after={"motion_id": motion.id, "position": position, "title": title, "proposal_id": motion.proposal_id},
        region_path=meeting.region_path,
    )
    if proposal is not None and proposal.state in (ProposalState.deferred, ProposalState.rejected):
        await transition(
            session,
            proposal,
            ProposalState.in_deliberation,
            Process("meeting", principal.actor),
            f"列入会议议程：{meeting.topic}"[:500],
            details={"meeting_id": meeting.id},
        )
    return motion


def _check_quorate(meeting: Meeting, attendance: int) -> dict[str, Any]:
    status = quorum_status(meeting, attendance)
    if not status["quorate"]:
        raise Conflict(
            f"The meeting is not quorate: {attendance} of {status['total_representatives']} "
            f"representatives signed in, {status['needed']} needed. No vote or decision can be recorded.",
            code="meeting_inquorate",
            extra=status,
        )
    return status


def _check_voter(principal: Principal, meeting: Meeting, rep: Representative) -> None:
    if policy.may_organise(principal, meeting.region_path):
        return
    if principal.user_id is not None and rep.user_id == principal.user_id:
        return
    policy.check_read(principal, meeting.region_path, "meeting")
    raise Forbidden(
        "Votes are recorded by the meeting's staff or signed by the representative themself.", code="not_voter"
    )


async def cast_vote(session: AsyncSession, principal: Principal, motion: Motion, data: VoteCreate) -> MotionVote:
    """One signed vote of a signed-in representative on an undecided item of a quorate meeting in session."""
    meeting = await get_meeting(session, motion.meeting_id)
    rep = await session.get(Representative, data.representative_id)
    if rep is None:
        policy.check_read(principal, meeting.region_path, "meeting")
        raise Unprocessable("No representative with that id.", code="not_a_representative")
    _check_voter(principal, meeting, rep)
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.in_session)
    await session.refresh(motion)  # read after the lock: a decision may have landed while we waited
    if motion.outcome is not None:
        raise Conflict("This item has been decided; its vote sheet is closed.", code="motion_decided")
    _check_quorate(meeting, await attendance_of(session, meeting.id))
    _member(rep, meeting)
    sign_in_row = await session.scalar(
        select(MeetingSignIn).where(MeetingSignIn.meeting_id == meeting.id, MeetingSignIn.representative_id == rep.id)
    )
    if sign_in_row is None:
        raise Unprocessable("Only a representative who signed in at this meeting may vote.", code="not_signed_in")
    vote = MotionVote(
        motion_id=motion.id,
        meeting_id=meeting.id,
        sign_in_id=sign_in_row.id,
        representative_id=rep.id,
        choice=data.choice,
        signature_ref=data.signature_ref,
        recorded_by=principal.actor.id,
    )
    session.add(vote)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The representative has already voted on this item.", code="already_voted") from exc
    await record(
        session,
        principal.actor,
        "motion.vote",
        "motion",
        motion.id,
        after={
            "vote_id": vote.id,
            "representative_id": rep.id,
            "choice": vote.choice,
            "signature_ref": vote.signature_ref,
        },
        region_path=meeting.region_path,
    )
    return vote


async def tally(session: AsyncSession, motion_id: uuid.UUID) -> dict[VoteChoice, int]:
    """Votes on an item by choice."""
    rows = await session.execute(
        select(MotionVote.choice, func.count()).where(MotionVote.motion_id == motion_id).group_by(MotionVote.choice)
    )
    counts = dict.fromkeys(VoteChoice, 0)
    counts.update({VoteChoice(c): n for c, n in rows.all()})
    return counts


def _check_complete(missing: int, attendance: int, data: DecisionCreate) -> str | None:
    """The reason to record when present representatives have not voted; 409 unless the host confirmed it."""
    if not missing:
        return None
    if not data.confirm_incomplete:
        raise Conflict(
            f"还有{missing}名到会代表未表决（到会{attendance}人，已表决{attendance - missing}人）。请等全部"
            f"到会代表表决（可投弃权票），或确认提前表决并说明理由。{missing} of the {attendance} "
            "representatives present have not voted; wait for them (abstaining is a vote) or confirm "
            "with confirm_incomplete and incomplete_reason.",
            code="votes_missing",
            extra={"attendance": attendance, "votes_cast": attendance - missing, "votes_missing": missing},
        )
    if not data.incomplete_reason:
        raise Unprocessable(
            "提前表决须说明理由。Deciding before everyone present has voted needs incomplete_reason.",
            code="incomplete_reason_required",
            extra={"votes_missing": missing},
        )
    return data.incomplete_reason


async def decide(session: AsyncSession, principal: Principal, motion: Motion, data: DecisionCreate) -> Motion:
    """Decide an item from its vote sheet at a quorate meeting; the minutes record the discussion and the result.

    Everyone signed in votes first (abstaining counts); deciding earlier needs the host's confirmation and a reason,
    because a decision is final and those who have not voted would otherwise be silently left out.
    """
    meeting = await get_meeting(session, motion.meeting_id)
    policy.check_organise(principal, meeting.region_path, "meeting")
    meeting = await lock(session, meeting)
    require_state(meeting, MeetingState.in_session)
    await session.refresh(motion)  # read after the lock: another decision may have landed while we waited
    if motion.outcome is not None:
        raise Conflict("This item has already been decided.", code="motion_decided")
    if data.defer and data.refer_to_residents_meeting:
        raise Unprocessable(
            "Either defer the item or refer it to the residents' meeting, not both.", code="defer_or_refer"
        )
    attendance = await attendance_of(session, meeting.id)
    _check_quorate(meeting, attendance)
    counts = await tally(session, motion.id)
    missing = rules.votes_missing(attendance, sum(counts.values()))
    reason = _check_complete(missing, attendance, data)
    decision = rules.decide(
        counts[VoteChoice.for_],
        counts[VoteChoice.against],
        counts[VoteChoice.abstain],
        base=meeting.majority_base,
        total=meeting.total_representatives,
        attendance=attendance,
        defer=data.defer,
        refer=data.refer_to_residents_meeting,
    )
    motion.outcome, motion.decided_at = decision.outcome, utcnow()
    motion.votes_for, motion.votes_against, motion.votes_abstain = (
        decision.votes_for,
        decision.votes_against,
        decision.votes_abstain,
    )
    motion.attendance_at_decision, motion.total_at_decision = attendance, meeting.total_representatives
    motion.quorum_numerator, motion.quorum_denominator = meeting.quorum_numerator, meeting.quorum_denominator
    motion.majority_base_count = decision.base_count
    motion.votes_missing, motion.incomplete_reason = missing, reason
    result = rules.result_text(decision) + (rules.incomplete_note(missing, attendance, reason) if missing else "")
    session.add(
        MinutesItem(
            meeting_id=meeting.id,
            motion_id=motion.id,
            discussion=data.discussion,
            result=result,
            recorded_by=principal.actor.id,
        )
    )
    await session.flush()
    await record(
        session,
        principal.actor,
        "motion.decide",
        "motion",
        motion.id,
        after={
            "outcome": motion.outcome,
            "votes_for": decision.votes_for,
            "votes_against": decision.votes_against,
            "votes_abstain": decision.votes_abstain,
            "attendance": attendance,
            "total": meeting.total_representatives,
            "majority_base": meeting.majority_base,
            "base_count": decision.base_count,
            "votes_missing": missing,
            "incomplete_reason": reason,
        },
        region_path=meeting.region_path,
    )
    return motion


def sign_ins_statement(meeting: Meeting) -> Select:
    """The sign-in sheet in signing order."""
    return (
        select(MeetingSignIn)
        .where(MeetingSignIn.meeting_id == meeting.id)
        .order_by(MeetingSignIn.signed_at, MeetingSignIn.id)
    )


def motions_statement(meeting: Meeting) -> Select:
    """The agenda in order."""
    return select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.position)


def votes_statement(motion: Motion) -> Select:
    """An item's vote signature sheet in signing order."""
    return select(MotionVote).where(MotionVote.motion_id == motion.id).order_by(MotionVote.signed_at, MotionVote.id)


async def minutes(session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    """The minutes: header once closed, and every item recorded so far."""
    header = await session.scalar(select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting.id))
    rows = (
        await session.execute(
            select(MinutesItem, Motion.votes_missing, Motion.incomplete_reason)
            .join(Motion, Motion.id == MinutesItem.motion_id)
            .where(MinutesItem.meeting_id == meeting.id)
            .order_by(Motion.position)
        )
    ).all()
    items = [
        {**item.model_dump(), "votes_missing": missing, "incomplete_reason": reason} for item, missing, reason in rows
    ]
    return {
        "meeting_id": meeting.id,
        "topic": header.topic if header else meeting.topic,
        "attendance": header.attendance if header else None,
        "total_representatives": header.total_representatives if header else meeting.total_representatives,
        "quorate": header.quorate if header else None,
        "summary": header.summary if header else None,
        "items": items,
    }
