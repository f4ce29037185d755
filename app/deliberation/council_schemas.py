"""Request and response bodies of deliberation councils and participant selection."""

import uuid
from datetime import datetime

from pydantic import AwareDatetime, Field

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.deliberation.enums import CouncilForm, CouncilState, GroupBasis, ParticipantSource, SelectionMethod


class CouncilCreate(WriteModel):
    """Announce a deliberation session with its seats; residents may register while it is open."""

    topic: DisplayText = Field(min_length=1, max_length=200)
    form: CouncilForm = CouncilForm.council
    scheduled_at: AwareDatetime
    place: str = Field(min_length=1, max_length=200)
    host: str = Field(min_length=1, max_length=100)
    seats: int = Field(ge=1, le=500)


class CouncilRead(ReadModel):
    """A council as staff see it."""

    id: uuid.UUID
    community_id: uuid.UUID
    topic: str
    form: CouncilForm
    scheduled_at: datetime
    place: str
    host: str
    seats: int
    state: CouncilState
    seed: str | None
    quotas: list[dict]
    selected_at: datetime | None
    created_at: datetime


class PublicCouncil(ReadModel):
    """A council as the public sees it: the announcement (residents may apply to take part)."""

    id: uuid.UUID
    community_id: uuid.UUID
    topic: str
    form: CouncilForm
    scheduled_at: datetime
    place: str
    host: str
    seats: int
    state: CouncilState


class RegistrationCreate(WriteModel):
    """A resident on the community's roll registers themself (公开报名)."""

    group: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="e.g. 老年人, 租户, 楼道长; the resident's own sub-unit on the roll counts "
        "at once, any other group once staff confirm it",
    )


class GroupDecision(WriteModel):
    """Staff confirm a registrant's claimed quota group or reject it (with a reason)."""

    confirm: bool
    reason: str | None = Field(default=None, min_length=1, max_length=200)


class InvitationCreate(WriteModel):
    """Staff invite someone (主动邀请); the invited always get a seat."""

    name: DisplayText = Field(min_length=1, max_length=100)
    user_id: uuid.UUID | None = None
    group: str | None = Field(default=None, min_length=1, max_length=50)


class QuotaIn(WriteModel):
    """Seats reserved for a group (重点配额), drawn at random among its registrants."""

    group: str = Field(min_length=1, max_length=50)
    seats: int = Field(ge=1, le=500)


class SelectionCreate(WriteModel):
    """Run the draw: quotas first, then the remaining seats at random; the seed is recorded."""

    quotas: list[QuotaIn] = Field(default_factory=list, max_length=20)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="default: a fresh random seed")


class ParticipantRead(ReadModel):
    """A candidate and whether (and how) they got a seat."""

    id: uuid.UUID
    council_id: uuid.UUID
    name: str
    user_id: uuid.UUID | None
    group: str | None
    group_basis: GroupBasis | None
    roll_entry_id: uuid.UUID | None
    source: ParticipantSource
    selected: bool
    selected_by: SelectionMethod | None
    created_at: datetime


class SelectionRead(ReadModel):
    """The draw's result: the seed to reproduce it, who was chosen, and quota groups short of candidates."""

    council: CouncilRead
    seed: str
    selected: list[ParticipantRead]
    shortfalls: dict[str, int]
