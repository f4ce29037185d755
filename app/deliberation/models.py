"""Representative meetings: roster, meeting, sign-in sheet, agenda items, vote signature sheet, minutes.

Seed 000 二(一)3: the sign-in sheet, the minutes and the vote signature sheet are kept apart and
never stand in for each other. Here they are separate tables, and the database itself refuses a
vote whose representative has no sign-in row at that meeting (composite foreign key), a second vote
by the same representative on the same item (unique), and a decision whose recorded attendance
does not make the meeting quorate or whose votes do not make the majority it claims (CHECKs).
"""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.deliberation.enums import MeetingForm, MeetingState, MotionOutcome, VoteChoice

LONG_TEXT = 4000
INCOMPLETE_REASON = 300
# Stands for "no unit" in the roster's uniqueness index (a NULL would never collide, so two unit-less 张伟 would pass).
NO_UNIT = "00000000-0000-0000-0000-000000000000"


class Representative(SQLModel, table=True):
    """A member of a community's roster of resident representatives (居民代表); the roster is what quorum counts."""

    __tablename__ = "representative"
    __table_args__ = (
        # Common names (two 张伟) are fine; a true duplicate is the same name with nothing to tell them apart:
        # the same unit (or none) and the same phone (or none), or the same name with the same phone.
        Index(
            "uq_representative_active_identity",
            "community_id",
            "name",
            text(f"coalesce(unit_id, '{NO_UNIT}')"),
            text("coalesce(phone_digest, '')"),
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index(
            "uq_representative_active_phone",
            "community_id",
            "name",
            "phone_digest",
            unique=True,
            sqlite_where=text("active AND phone_digest IS NOT NULL"),
            postgresql_where=text("active AND phone_digest IS NOT NULL"),
        ),
        Index(
            "uq_representative_active_user",
            "community_id",
            "user_id",
            unique=True,
            sqlite_where=text("active AND user_id IS NOT NULL"),
            postgresql_where=text("active AND user_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    name: str = Field(max_length=50)
    # Optional account, so a representative can sign their own vote in the app.
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    unit_id: uuid.UUID | None = Field(default=None, foreign_key="region.id")
    # A phone tells apart two people of the same name; kept like the voter roll's: a keyed digest and a mask.
    phone_digest: str | None = Field(default=None, max_length=64)
    phone_masked: str | None = Field(default=None, max_length=16)
    active: bool = Field(default=True)
    joined_on: date | None = None
    left_on: date | None = None
    created_at: datetime = created_at_field()


class Meeting(SQLModel, table=True):
    """A representative meeting: announced publicly, held with a frozen roster total, closed for good."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("state IN ('announced', 'in_session', 'closed', 'cancelled')", name="state_known"),
        CheckConstraint(
            "state NOT IN ('in_session', 'closed') OR (total_representatives > 0 AND "
            "quorum_numerator IS NOT NULL AND quorum_denominator IS NOT NULL AND "
            "majority_base IS NOT NULL)",
            name="frozen_when_held",
        ),
        CheckConstraint(
            "state <> 'closed' OR (quorate IS NOT NULL AND attendance IS NOT NULL)", name="closed_has_result"
        ),
        # A meeting is recorded quorate exactly when its attendance reaches the quorum of ALL representatives.
        CheckConstraint(
            "quorate IS NULL OR quorate = (attendance * quorum_denominator >= "
            "quorum_numerator * total_representatives)",
            name="quorate_matches_attendance",
        ),
        Index("ix_meeting_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    programme_id: uuid.UUID | None = Field(default=None, foreign_key="programme.id")
    topic: str = Field(max_length=200)
    scheduled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str = Field(max_length=200)
    host: str = Field(max_length=100)
    participants: str = Field(max_length=1000)
    form: MeetingForm = Field(sa_type=str_enum(MeetingForm, 16))
    state: MeetingState = Field(default=MeetingState.announced, sa_type=str_enum(MeetingState, 16), index=True)
    # Frozen when the session opens: the roster total and the programme's meeting rule.
    total_representatives: int | None = None
    quorum_numerator: int | None = None
    quorum_denominator: int | None = None
    majority_base: str | None = Field(default=None, max_length=16)
    # Set when the meeting closes.
    attendance: int | None = None
    quorate: bool | None = None
    announced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_by: str | None = Field(default=None, max_length=64)


class MeetingSignIn(SQLModel, table=True):
    """One line of the sign-in sheet (签到表): a representative who actually attended."""

    __tablename__ = "meeting_sign_in"
    __table_args__ = (
        UniqueConstraint("meeting_id", "representative_id"),
        # The target of the vote's composite foreign key.
        UniqueConstraint("id", "meeting_id", "representative_id"),
    )

    id: uuid.UUID = uuid_pk()
    meeting_id: uuid.UUID = Field(foreign_key="meeting.id", index=True)
    representative_id: uuid.UUID = Field(foreign_key="representative.id", index=True)
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    recorded_by: str | None = Field(default=None, max_length=64)


_DECIDED = "outcome IS NULL OR outcome IN ('deferred', 'referred')"


class Motion(SQLModel, table=True):
    """An agenda item (议题), usually one proposal, with the decision and the numbers that justify it."""

    __tablename__ = "motion"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        UniqueConstraint("meeting_id", "proposal_id"),
        UniqueConstraint("id", "meeting_id"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('passed', 'failed', 'deferred', 'referred')", name="outcome_known"
        ),
        CheckConstraint(
            f"{_DECIDED} OR (votes_for IS NOT NULL AND votes_against IS NOT NULL AND "
            "votes_abstain IS NOT NULL AND attendance_at_decision IS NOT NULL AND "
            "total_at_decision IS NOT NULL AND quorum_numerator IS NOT NULL AND "
            "quorum_denominator IS NOT NULL AND majority_base_count IS NOT NULL)",
            name="decision_complete",
        ),
        # No decision at an inquorate meeting: attendance × den ≥ num × ALL representatives.
        CheckConstraint(
            f"{_DECIDED} OR (total_at_decision > 0 AND attendance_at_decision * quorum_denominator "
            ">= quorum_numerator * total_at_decision)",
            name="decision_quorate",
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome <> 'passed' OR 2 * votes_for > majority_base_count", name="passed_has_majority"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome <> 'failed' OR 2 * votes_for <= majority_base_count",
            name="failed_lacks_majority",
        ),
        CheckConstraint(
            "majority_base_count IS NULL OR majority_base_count IN (total_at_decision, attendance_at_decision)",
            name="majority_base_known",
        ),
        CheckConstraint(
            "votes_for IS NULL OR votes_for + votes_against + votes_abstain <= attendance_at_decision",
            name="votes_within_attendance",
        ),
        # Every present representative either voted (for, against, abstain) or is counted as not having voted;
        # deciding with anyone not having voted needs the host's confirmation and a reason, kept for the minutes.
        CheckConstraint(
            "votes_missing IS NULL OR votes_for + votes_against + votes_abstain + votes_missing = "
            "attendance_at_decision",
            name="votes_missing_counted",
        ),
        CheckConstraint(
            "votes_missing IS NULL OR votes_missing = 0 OR incomplete_reason IS NOT NULL", name="incomplete_has_reason"
        ),
    )

    id: uuid.UUID = uuid_pk()
    meeting_id: uuid.UUID = Field(foreign_key="meeting.id", index=True)
    position: int
    title: str = Field(max_length=200)
    proposal_id: uuid.UUID | None = Field(default=None, foreign_key="proposal.id", index=True)
    outcome: MotionOutcome | None = Field(default=None, sa_type=str_enum(MotionOutcome, 16))
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    attendance_at_decision: int | None = None
    total_at_decision: int | None = None
    quorum_numerator: int | None = None
    quorum_denominator: int | None = None
    majority_base_count: int | None = None
    # Signed-in representatives without a vote when the item was decided, and why the host went ahead.
    votes_missing: int | None = None
    incomplete_reason: str | None = Field(default=None, max_length=INCOMPLETE_REASON)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class MotionVote(SQLModel, table=True):
    """One signature on the vote signature sheet (表决签名表) of one agenda item."""

    __tablename__ = "motion_vote"
    __table_args__ = (
        UniqueConstraint("motion_id", "representative_id"),
        ForeignKeyConstraint(["motion_id", "meeting_id"], ["motion.id", "motion.meeting_id"]),
        # Only a representative signed in at this very meeting can vote: the row must name that sign-in.
        ForeignKeyConstraint(
            ["sign_in_id", "meeting_id", "representative_id"],
            ["meeting_sign_in.id", "meeting_sign_in.meeting_id", "meeting_sign_in.representative_id"],
        ),
        CheckConstraint("choice IN ('for', 'against', 'abstain')", name="choice_known"),
    )

    id: uuid.UUID = uuid_pk()
    motion_id: uuid.UUID = Field(index=True)
    meeting_id: uuid.UUID
    sign_in_id: uuid.UUID
    representative_id: uuid.UUID
    choice: VoteChoice = Field(sa_type=str_enum(VoteChoice, 8))
    # Where the handwritten or electronic signature is kept (sheet page, e-signature id).
    signature_ref: str | None = Field(default=None, max_length=200)
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    recorded_by: str | None = Field(default=None, max_length=64)


class MeetingMinutes(SQLModel, table=True):
    """The minutes (会议记录表) header: topic, attendance and the summary, written when the meeting closes."""

    __tablename__ = "meeting_minutes"

    id: uuid.UUID = uuid_pk()
    meeting_id: uuid.UUID = Field(foreign_key="meeting.id", unique=True)
    topic: str = Field(max_length=200)
    attendance: int
    total_representatives: int
    quorate: bool
    summary: str | None = Field(default=None, max_length=LONG_TEXT)
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MinutesItem(SQLModel, table=True):
    """The minutes of one agenda item: what was discussed and what was decided (逐条记录讨论内容和表决结果)."""

    __tablename__ = "minutes_item"

    id: uuid.UUID = uuid_pk()
    meeting_id: uuid.UUID = Field(foreign_key="meeting.id", index=True)
    motion_id: uuid.UUID = Field(foreign_key="motion.id", unique=True)
    discussion: str = Field(max_length=LONG_TEXT)
    result: str = Field(max_length=500)
    recorded_by: str | None = Field(default=None, max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
