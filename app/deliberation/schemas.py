"""Request and response bodies of the roster, meetings, sign-in, agenda items, votes, minutes and reports."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from app.common.schemas import Page, ReadModel, WriteModel
from app.common.strict import DisplayText
from app.deliberation.enums import MeetingForm, MeetingState, MotionOutcome, VoteChoice
from app.deliberation.models import INCOMPLETE_REASON, LONG_TEXT


class RepresentativeCreate(WriteModel):
    """Add a representative to the community's roster."""

    name: DisplayText = Field(min_length=1, max_length=50)
    user_id: uuid.UUID | None = Field(default=None, description="their account, if they vote in the app")
    unit_id: uuid.UUID | None = Field(default=None, description="the grid, compound or building they represent")
    phone: str | None = Field(
        default=None,
        min_length=11,
        max_length=20,
        description="mainland mobile number, stored only as a digest and shown masked; tells "
        "apart two representatives of the same name",
    )
    joined_on: date | None = None


class RepresentativeRetire(WriteModel):
    """Take a representative off the roster."""

    left_on: date | None = Field(default=None, description="default: today")


class RepresentativeRead(ReadModel):
    """A roster entry."""

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    user_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    unit_name: str | None
    phone_masked: str | None = Field(description="e.g. 138****1234")
    label: str = Field(description="the name with what tells namesakes apart, e.g. 张伟（3栋，138****1234）")
    active: bool
    joined_on: date | None
    left_on: date | None


class MeetingCreate(WriteModel):
    """Announce a meeting: time, place, host, participants and form are published (001 三(四))."""

    topic: DisplayText = Field(min_length=1, max_length=200)
    scheduled_at: AwareDatetime
    place: str = Field(min_length=1, max_length=200)
    host: str = Field(min_length=1, max_length=100)
    participants: str = Field(
        min_length=1, max_length=1000, description="who takes part: the representatives, attending observers, ..."
    )
    form: MeetingForm = MeetingForm.in_person
    programme_id: uuid.UUID | None = Field(
        default=None, description="whose meeting rule applies; default: the district's open programme"
    )


class MeetingCancel(WriteModel):
    """Call off an announced meeting."""

    reason: str = Field(min_length=1, max_length=500)


class MeetingClose(WriteModel):
    """Close the meeting; the summary goes into the minutes."""

    summary: str | None = Field(default=None, max_length=LONG_TEXT)


class MeetingRead(ReadModel):
    """A meeting as staff see it."""

    id: uuid.UUID
    community_id: uuid.UUID
    programme_id: uuid.UUID | None
    topic: str
    scheduled_at: datetime
    place: str
    host: str
    participants: str
    form: MeetingForm
    state: MeetingState
    total_representatives: int | None
    quorum_numerator: int | None
    quorum_denominator: int | None
    majority_base: str | None
    attendance: int | None
    quorate: bool | None
    announced_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class QuorumStatus(ReadModel):
    """Where attendance stands against the quorum."""

    total_representatives: int
    attendance: int
    needed: int
    quorate: bool


class SignInCreate(WriteModel):
    """A line of the sign-in sheet."""

    representative_id: uuid.UUID
    signed_at: AwareDatetime | None = Field(default=None, description="default: now")


class SignInRead(ReadModel):
    """A recorded sign-in."""

    id: uuid.UUID
    meeting_id: uuid.UUID
    representative_id: uuid.UUID
    representative_name: str
    representative_label: str = Field(description="the name with unit and masked phone, e.g. 张伟（3栋）")
    signed_at: datetime


class MotionCreate(WriteModel):
    """An agenda item; naming a proposal puts it before the meeting."""

    title: DisplayText | None = Field(
        default=None, min_length=1, max_length=200, description="default: the proposal's title"
    )
    proposal_id: uuid.UUID | None = None


class MotionRead(ReadModel):
    """An agenda item with its decision once taken."""

    id: uuid.UUID
    meeting_id: uuid.UUID
    position: int
    title: str
    proposal_id: uuid.UUID | None
    outcome: MotionOutcome | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    attendance_at_decision: int | None
    total_at_decision: int | None
    majority_base_count: int | None
    votes_missing: int | None = Field(description="representatives present who had not voted when it was decided")
    incomplete_reason: str | None = Field(description="why it was decided before everyone present had voted")
    decided_at: datetime | None


class VoteCreate(WriteModel):
    """One representative's signed vote on one item."""

    representative_id: uuid.UUID
    choice: VoteChoice
    signature_ref: str | None = Field(
        default=None, max_length=200, description="where the signature is kept: sheet page, e-signature id"
    )


class VoteRead(ReadModel):
    """A line of the vote signature sheet."""

    id: uuid.UUID
    motion_id: uuid.UUID
    representative_id: uuid.UUID
    representative_name: str
    representative_label: str = Field(description="the name with unit and masked phone, e.g. 张伟（3栋）")
    sign_in_id: uuid.UUID
    choice: VoteChoice
    signature_ref: str | None
    signed_at: datetime


class DecisionCreate(WriteModel):
    """Decide an item from its votes; the discussion goes into the minutes item by item."""

    discussion: str = Field(min_length=1, max_length=LONG_TEXT)
    defer: bool = Field(default=False, description="if it does not pass: 再议 at the next meeting instead of failing")
    refer_to_residents_meeting: bool = Field(
        default=False, description="if it does not pass: refer to the residents' meeting (居民会议)"
    )
    confirm_incomplete: bool = Field(
        default=False,
        description="decide although some representatives present have not voted (otherwise 409 votes_missing)",
    )
    incomplete_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=INCOMPLETE_REASON,
        description="why the host went ahead; recorded in the minutes",
    )


class MinutesItemRead(ReadModel):
    """The minutes of one item."""

    motion_id: uuid.UUID
    discussion: str
    result: str
    votes_missing: int | None = Field(description="representatives present who had not voted when it was decided")
    incomplete_reason: str | None = Field(description="why it was decided before everyone present had voted")
    recorded_at: datetime


class MinutesRead(ReadModel):
    """The minutes of a meeting: header (once closed) and item by item."""

    meeting_id: uuid.UUID
    topic: str
    attendance: int | None
    total_representatives: int | None
    quorate: bool | None
    summary: str | None
    items: list[MinutesItemRead]


class PublicMotion(ReadModel):
    """An agenda item as the public sees it: the decision and its tally, no individual votes."""

    position: int
    title: str
    proposal_id: uuid.UUID | None
    outcome: MotionOutcome | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None


class PublicMeeting(ReadModel):
    """A meeting as the public sees it: the announcement, and once closed the decisions (居务公开)."""

    id: uuid.UUID
    community_id: uuid.UUID
    topic: str
    scheduled_at: datetime
    place: str
    host: str
    participants: str
    form: MeetingForm
    state: MeetingState
    total_representatives: int | None
    attendance: int | None
    quorate: bool | None
    motions: list[PublicMotion] = Field(default_factory=list)


class MeetingGap(ReadModel):
    """A community that held no valid representative meeting in the quarter."""

    community_id: uuid.UUID
    name: str
    street_id: uuid.UUID | None
    last_meeting_at: datetime | None


class MeetingGapReport(Page[MeetingGap]):
    """Communities without a quorate, closed representative meeting in a quarter (000: at least once a quarter)."""

    year: int
    quarter: Literal[1, 2, 3, 4]
    starts_on: date
    ends_on: date
