"""The database itself refuses what the rules refuse, whatever code path writes: a vote without a sign-in at
that meeting, a second vote, a decision recorded at an inquorate meeting, a 'pass' without the majority."""

import uuid

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.common.models import utcnow
from app.deliberation.models import Meeting, MeetingSignIn, Motion, MotionVote
from tests.deliberation.helpers import add_motion, add_roster, open_meeting
from tests.deliberation.helpers import vote as cast
from tests.programmes.helpers import ok


@pytest.fixture
async def sitting(client, session, pw):
    """A meeting in session: 30 representatives, 20 signed in, one item, one vote cast."""
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    reps = await add_roster(client, h, a1, 30)
    m = await open_meeting(client, h, a1, reps[:20])
    motion = await add_motion(client, h, m["id"], title="议题")
    ok(await cast(client, h, motion["id"], reps[0]), 201)
    signs = {str(s.representative_id): s.id for s in (await session.scalars(select(MeetingSignIn))).all()}
    await session.commit()
    return {
        "meeting": uuid.UUID(m["id"]),
        "motion": uuid.UUID(motion["id"]),
        "reps": [uuid.UUID(r) for r in reps],
        "signs": signs,
    }


async def refused(session, *rows) -> None:
    """Adding rows fails with an integrity error and leaves nothing behind."""
    session.add_all(rows)
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


def vote_row(s, rep_index: int, sign_in_of: int | None = None, **over) -> MotionVote:
    rep = s["reps"][rep_index]
    sign = s["signs"].get(str(s["reps"][sign_in_of if sign_in_of is not None else rep_index]))
    return MotionVote(
        **{
            "motion_id": s["motion"],
            "meeting_id": s["meeting"],
            "sign_in_id": sign or uuid.uuid4(),
            "representative_id": rep,
            "choice": "for",
            **over,
        }
    )


async def test_vote_without_own_sign_in_is_refused(session, sitting):
    # Representative 25 did not sign in: neither a made-up sign-in id nor someone else's sign-in will do.
    await refused(session, vote_row(sitting, 25))
    await refused(session, vote_row(sitting, 25, sign_in_of=1))


async def test_second_vote_is_refused(session, sitting):
    await refused(session, vote_row(sitting, 0, choice="against"))


async def test_vote_with_a_sign_in_of_another_meeting_is_refused(client, session, pw, sitting):
    other = Meeting(
        community_id=pw.tree.community_a1.id,
        region_path=pw.tree.community_a1.path,
        topic="另一会议",
        scheduled_at=utcnow(),
        place="p",
        host="h",
        participants="x",
        form="in_person",
    )
    session.add(other)
    await session.flush()
    foreign = MeetingSignIn(meeting_id=other.id, representative_id=sitting["reps"][25])
    session.add(foreign)
    await session.flush()
    await refused(
        session,
        MotionVote(
            motion_id=sitting["motion"],
            meeting_id=sitting["meeting"],
            sign_in_id=foreign.id,
            representative_id=sitting["reps"][25],
            choice="for",
        ),
    )


async def decision(session, motion_id, **values) -> None:
    """UPDATE the item's decision directly."""
    await session.execute(update(Motion).where(Motion.id == motion_id).values(**values))


DECIDED = {
    "votes_against": 0,
    "votes_abstain": 0,
    "total_at_decision": 30,
    "quorum_numerator": 2,
    "quorum_denominator": 3,
    "majority_base_count": 30,
}


@pytest.mark.parametrize(
    ("values", "ok_"),
    [
        ({"outcome": "passed", "votes_for": 16, "attendance_at_decision": 20}, True),
        ({"outcome": "passed", "votes_for": 16, "attendance_at_decision": 19}, False),  # inquorate
        ({"outcome": "failed", "votes_for": 0, "attendance_at_decision": 19}, False),  # inquorate
        ({"outcome": "passed", "votes_for": 15, "attendance_at_decision": 20}, False),  # no majority of all 30
        ({"outcome": "failed", "votes_for": 16, "attendance_at_decision": 20}, False),  # had the majority
        ({"outcome": "passed", "votes_for": 16, "attendance_at_decision": None}, False),  # numbers missing
        ({"outcome": "deferred", "votes_for": None, "attendance_at_decision": None}, True),
    ],
)
async def test_decision_checks(session, sitting, values, ok_):
    values = {**DECIDED, **values}
    if ok_:
        await decision(session, sitting["motion"], **values)
        await session.rollback()
        return
    with pytest.raises(IntegrityError):
        await decision(session, sitting["motion"], **values)
    await session.rollback()


async def test_meeting_cannot_be_recorded_quorate_below_the_quorum(session, sitting):
    for attendance, quorate, fine in ((19, True, False), (20, False, False), (20, True, True), (19, False, True)):
        stmt = update(Meeting).where(Meeting.id == sitting["meeting"]).values(attendance=attendance, quorate=quorate)
        if fine:
            await session.execute(stmt)
        else:
            with pytest.raises(IntegrityError):
                await session.execute(stmt)
        await session.rollback()
