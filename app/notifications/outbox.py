"""Writing to the outbox: called by domain services inside the transaction of the change itself, so an event
exists exactly when its change was committed."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.clock import SHANGHAI
from app.notifications.models import EventStatus, NotificationEvent, NotificationKind
from app.notifications.rules import TOLD_STATES

# How long before a round's close its residents are reminded.
CLOSING_REMINDER = timedelta(hours=24)


def local_text(moment: datetime) -> str:
    """A moment as residents read it: Shanghai time, to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def emit(
    session: AsyncSession,
    kind: NotificationKind,
    subject_type: str,
    subject_id: uuid.UUID,
    payload: dict,
    available_at: datetime | None = None,
) -> NotificationEvent:
    """Add an event to the session (the caller's transaction commits it with the change)."""
    event = NotificationEvent(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
        available_at=available_at or utcnow(),
    )
    session.add(event)
    return event


async def emit_once(
    session: AsyncSession, kind: NotificationKind, subject_type: str, subject_id: uuid.UUID, key: str, payload: dict
) -> int:
    """Insert an event due now under a dedupe key, unless one with that key exists; returns 1 if it was added.
    For sweeps, which find their events by looking and may run in several workers at once."""
    now = utcnow()
    stmt = insert_for(session, NotificationEvent.__table__).values(
        id=uuid.uuid4(),
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
        available_at=now,
        status=EventStatus.pending,
        dedupe_key=key,
        created_at=now,
    )
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return result.rowcount or 0


def round_scheduled(session: AsyncSession, rnd) -> None:
    """A round set up: its roll hears when it opens, and again a day before it closes. The worker re-reads the
    round when they fall due, so a changed window or a cancelled round is honoured then."""
    payload = {"title": rnd.title, "round_id": str(rnd.id), "community_id": str(rnd.community_id)}
    emit(session, NotificationKind.round_opened, "voting_round", rnd.id, payload, max(rnd.opens_at, utcnow()))
    reminder = rnd.closes_at - CLOSING_REMINDER
    if reminder > rnd.opens_at:
        emit(session, NotificationKind.round_closing, "voting_round", rnd.id, payload, reminder)


def objection_answered(session: AsyncSession, objection, project_title: str) -> None:
    """The objector hears the reply, if they filed it signed in (anonymous objectors track it by code)."""
    if objection.submitted_by_user_id is None:
        return
    emit(
        session,
        NotificationKind.objection_answered,
        "objection",
        objection.id,
        {
            "user_ids": [str(objection.submitted_by_user_id)],
            "project_title": project_title,
            "status": objection.status.value,
            "reply": objection.reply,
            "tracking_code": objection.tracking_code,
        },
    )


def proposal_moved(session: AsyncSession, proposal, state, reason: str | None) -> None:
    """The proposer hears of the steps that decide their proposal's fate."""
    if str(state) not in TOLD_STATES:
        return
    emit(
        session,
        NotificationKind.proposal_moved,
        "proposal",
        proposal.id,
        {"user_ids": [str(proposal.proposer_user_id)], "title": proposal.title, "state": str(state), "reason": reason},
    )


def notice_published(session: AsyncSession, notice) -> None:
    """The community's roll hears of a notice published there."""
    emit(
        session,
        NotificationKind.notice_published,
        "notice",
        notice.id,
        {
            "title": notice.title,
            "community_id": str(notice.community_id),
            "starts_on": str(notice.starts_on),
            "ends_on": str(notice.ends_on),
        },
    )


def evaluators_assigned(session: AsyncSession, campaign, evaluator_id: uuid.UUID | None, count: int) -> None:
    """An evaluator hears of projects given to them (an assessor organisation reads its API instead)."""
    if evaluator_id is None:
        return
    emit(
        session,
        NotificationKind.evaluator_assigned,
        "evaluation_campaign",
        campaign.id,
        {"user_ids": [str(evaluator_id)], "campaign": campaign.title, "count": count},
    )


def objection_filed(session: AsyncSession, objection, notice, project_title: str) -> None:
    """The community's staff hear that an objection waits for them."""
    emit(
        session,
        NotificationKind.objection_waiting,
        "objection",
        objection.id,
        {
            "staff_of": str(notice.community_id),
            "project_title": project_title,
            "tracking_code": objection.tracking_code,
        },
    )


async def reschedule(session: AsyncSession, event_id: uuid.UUID, when: datetime) -> None:
    """Put an event off until `when` (its cause moved)."""
    await session.execute(
        update(NotificationEvent)
        .where(NotificationEvent.id == event_id, NotificationEvent.status == EventStatus.pending)
        .values(available_at=when)
    )
