"""Request and response bodies of the voter roll, rounds, ballots, receipts and results."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.programmes.ruleset import MAX_AMOUNT_FEN
from app.voting.models import MAX_ROUND_PROJECTS, BallotChannel, RoundStatus

# Proposals of which at most one may be funded.
IncompatibleGroup = Annotated[list[uuid.UUID], Field(max_length=MAX_ROUND_PROJECTS)]

ProjectNumber = int
NUMBER = Field(ge=1, le=MAX_ROUND_PROJECTS)


class RollEntryCreate(WriteModel):
    """Add one resident to the roll."""

    phone: str = Field(min_length=11, max_length=20, description="mainland mobile number; stored only as a digest")
    name: DisplayText = Field(min_length=1, max_length=50)
    unit_id: uuid.UUID | None = Field(default=None, description="the grid, compound or building they live in")
    household: str | None = Field(
        default=None, max_length=100, description="household label (e.g. 3栋2单元501) for one ballot per household"
    )


class RollEntryRemove(WriteModel):
    """Take a resident off the roll (moved away, died, entered twice)."""

    reason: str = Field(min_length=1, max_length=200)


class RollEntryRead(ReadModel):
    """A roll entry; the phone only ever masked."""

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    phone_masked: str
    unit_id: uuid.UUID | None
    household: str | None
    active: bool
    added_at: datetime
    removed_at: datetime | None
    removal_reason: str | None


class RollImportResult(WriteModel):
    """What an import did: every phone is either added, re-added or already on the roll."""

    encoding: str
    added: int
    readded: int
    unchanged: int


class RoundCreate(WriteModel):
    """Set up a pilot's screening vote on shortlisted proposals."""

    title: DisplayText = Field(min_length=1, max_length=100)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    proposal_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=MAX_ROUND_PROJECTS, description="shortlisted proposals of the pilot's community"
    )
    budget_fen: int | None = Field(
        default=None, ge=1, le=MAX_AMOUNT_FEN, description="default: the pilot's available funds"
    )
    incompatible_groups: list[IncompatibleGroup] = Field(
        default_factory=list, max_length=30, description="proposals of which at most one may be funded"
    )


class RoundUpdate(WriteModel):
    """Change a round that nobody has voted in yet."""

    title: DisplayText | None = Field(default=None, min_length=1, max_length=100)
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    budget_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    incompatible_groups: list[IncompatibleGroup] | None = Field(default=None, max_length=30)


class RoundCancel(WriteModel):
    """Call off a round before anyone voted; its proposals return to the shortlist."""

    reason: str = Field(min_length=1, max_length=500)


class RoundProjectRead(ReadModel):
    """A project on the ballot; votes and the outcome appear only once the round is closed."""

    number: int
    proposal_id: uuid.UUID
    title: str
    cost_fen: int
    votes: int | None
    selected: bool | None


class RoundRead(ReadModel):
    """A voting round as staff and residents see it."""

    id: uuid.UUID
    pilot_id: uuid.UUID
    programme_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    opens_at: datetime
    closes_at: datetime
    phase: str = Field(description="upcoming | open | ended | closed | cancelled")
    status_reason: str | None
    budget_fen: int
    ballot_rule: dict[str, Any]
    incompatible_groups: list[list[int]]
    projects: list[RoundProjectRead]
    ballots_counted: int | None
    inputs_digest: str | None
    closed_at: datetime | None


class BallotCast(WriteModel):
    """The resident's choices, by project number on the ballot; on a cumulative ballot a project's number appears
    once per point given to it ([2, 2, 2, 5]: three points to 2, one to 5)."""

    choices: list[ProjectNumber] = Field(
        max_length=MAX_ROUND_PROJECTS,
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": MAX_ROUND_PROJECTS}},
    )


class PaperBallotCreate(WriteModel):
    """A paper ballot cast in person, entered by staff against the voter's roll entry."""

    roll_entry_id: uuid.UUID
    choices: list[ProjectNumber] = Field(
        max_length=MAX_ROUND_PROJECTS,
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": MAX_ROUND_PROJECTS}},
    )
    sheet_ref: str | None = Field(default=None, max_length=50, description="serial number on the paper ballot")


class BallotReceipt(WriteModel):
    """What casting returns: the receipt code is shown once; keep it to check the count later."""

    round_id: uuid.UUID
    ballot_id: uuid.UUID
    channel: BallotChannel
    version: int
    choices: list[int]
    cast_at: datetime
    receipt_code: str = Field(description="shown once; check it at /api/v1/public/voting/receipts/{code}")


class MyBallotRead(WriteModel):
    """The caller's standing in a round: eligible or not, and their current ballot if any."""

    round_id: uuid.UUID
    on_roll: bool
    phase: str
    ballot: dict[str, Any] | None = Field(
        description="channel, version, choices, cast_at; choices are null once "
        "the round is closed (no one can find a ballot's voter then)"
    )
    earlier_versions: int


class ReceiptCheck(WriteModel):
    """Whether a receipt's ballot is in the count, without saying what it chose."""

    round_id: uuid.UUID
    round_title: str
    status: str = Field(
        description="recorded (round not yet counted) | counted | superseded "
        "(a later ballot of the same voter counts) | not_counted (round cancelled)"
    )
    pb_voter_id: str | None = Field(
        description="once counted, the ballot's voter_id in the round's public .pb "
        "file, where it appears nowhere else; null before the count"
    )


class RoundResultRead(WriteModel):
    """A closed round's count and allocation, with its explanation per project."""

    round_id: uuid.UUID
    status: RoundStatus
    budget_fen: int
    ballots_counted: int
    inputs_digest: str
    allocation: dict[str, Any]
    projects: list[RoundProjectRead]
