"""Voting tables: the voter roll, rounds with their projects, current ballots and superseded ones."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, SmallInteger, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk

# Choices are kept as a bitmask of project numbers in a signed BIGINT: numbers 1..62.
MAX_ROUND_PROJECTS = 60


class RoundStatus(StrEnum):
    """Stored state of a round; whether it is open right now follows from its window."""

    scheduled = "scheduled"  # created; open between opens_at and closes_at
    closed = "closed"  # tallied and allocated; ballots frozen
    cancelled = "cancelled"  # called off before anyone voted


class BallotChannel(StrEnum):
    """How a ballot reached the count."""

    online = "online"  # cast by the resident on a phone
    paper = "paper"  # entered by staff from a paper ballot cast in person


class VoterRollEntry(SQLModel, table=True):
    """A resident on a community's roll (居民名册); the phone is kept only as a keyed digest and a mask."""

    __tablename__ = "voter_roll_entry"
    __table_args__ = (
        UniqueConstraint("community_id", "phone_digest"),
        Index("ix_voter_roll_entry_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    community_id: uuid.UUID = Field(foreign_key="region.id")  # indexed by the unique constraint
    region_path: str = Field(max_length=400)
    # Same keyed digest as a resident's login phone, so the two match without storing the number.
    phone_digest: str = Field(max_length=64, index=True)
    phone_masked: str = Field(max_length=20)
    name: str = Field(max_length=50)
    unit_id: uuid.UUID | None = Field(default=None, foreign_key="region.id")
    # 一户一票: entries with the same household label share one ballot; blank means a household of one.
    household: str | None = Field(default=None, max_length=100)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    added_by: str | None = Field(default=None, max_length=64)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str | None = Field(default=None, max_length=64)
    removal_reason: str | None = Field(default=None, max_length=200)

    @property
    def active(self) -> bool:
        """Whether the resident is on the roll now."""
        return self.removed_at is None


class VotingRound(SQLModel, table=True):
    """A pilot's screening vote: its projects, window, budget, ballot rules and (once closed) the result."""

    __tablename__ = "voting_round"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_forward"),
        CheckConstraint("budget_fen >= 0", name="budget_non_negative"),
        Index("ix_voting_round_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    pilot_id: uuid.UUID = Field(foreign_key="pilot.id", index=True)
    programme_id: uuid.UUID = Field(foreign_key="programme.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    title: str = Field(max_length=100)
    opens_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    budget_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The programme's ballot rule as it stood when the round was created (programme rules are frozen by then).
    ballot_rule: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Lists of project numbers of which at most one may be funded.
    incompatible_groups: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: RoundStatus = Field(default=RoundStatus.scheduled, sa_type=str_enum(RoundStatus, 16), index=True)
    status_reason: str | None = Field(default=None, max_length=500)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=64)
    # Filled at close: how many ballots counted, the allocation with its explanation, and its inputs' digest.
    ballots_counted: int | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    inputs_digest: str | None = Field(default=None, max_length=64)


class RoundProject(SQLModel, table=True):
    """A shortlisted proposal on a round's ballot, numbered as residents see it (1号, 2号, ...)."""

    __tablename__ = "round_project"
    __table_args__ = (
        UniqueConstraint("round_id", "number"),
        CheckConstraint(f"number >= 1 AND number <= {MAX_ROUND_PROJECTS}", name="number_in_range"),
        CheckConstraint("cost_fen >= 0", name="cost_non_negative"),
    )

    round_id: uuid.UUID = Field(foreign_key="voting_round.id", primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposal.id", primary_key=True, index=True)
    number: int
    # Title and cost as they stood when the round was set up: the ballot residents saw.
    title: str = Field(max_length=100)
    cost_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    votes: int | None = None
    selected: bool | None = None


class VoteMark(SQLModel, table=True):
    """The roll's mark that a voter (or their household) voted in a round, and how: never what they chose.

    Nothing here appears on a ballot row, so the two tables share no value but the round's id."""

    __tablename__ = "vote_mark"
    __table_args__ = (
        # One ballot per voter (or household) per round: the database decides between concurrent first casts.
        UniqueConstraint("round_id", "voter_key"),
        CheckConstraint("casts >= 1", name="casts_positive"),
    )

    id: uuid.UUID = uuid_pk()
    round_id: uuid.UUID = Field(foreign_key="voting_round.id")
    # "r:<roll entry id>" per resident, "h:<household>" per household.
    voter_key: str = Field(max_length=140)
    # The resident who voted (under 一户一票, the member of the household who did).
    roll_entry_id: uuid.UUID = Field(foreign_key="voter_roll_entry.id", index=True)
    channel: BallotChannel = Field(sa_type=str_enum(BallotChannel, 16))
    # How many times they cast (the first ballot and each change): the version of their current ballot.
    casts: int = 1
    last_cast_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    cast_by: str | None = Field(default=None, max_length=64)
    # Paper ballots: the serial or sheet reference written on the paper (kept with the mark, not the choices).
    sheet_ref: str | None = Field(default=None, max_length=50)


class Ballot(SQLModel, table=True):
    """The ballot that counts for one voter (or household) in a round; replaced versions go to BallotHistory.

    It names no voter, no channel and no time. Until the close the service finds a voter's own ballot by
    `voter_tag`, a keyed digest the database cannot recompute (app/voting/secrecy.py); the close rewrites the
    round's ballots under fresh ids, in random order and without tags, so from then on nobody can."""

    __tablename__ = "ballot"
    __table_args__ = (
        # One ballot per voter per round. A round belongs to one programme year, so with the year (the partition
        # key on PostgreSQL, which every unique key of a partitioned table must hold) this is the same rule. Only
        # tagged ballots (open rounds) are in it: the close writes its ballots untagged and adds nothing here, and
        # the index stays the size of the rounds still open (a unique index never compared NULLs anyway).
        Index(
            "uq_ballot_round_id_voter_tag_programme_year",
            "round_id",
            "voter_tag",
            "programme_year",
            unique=True,
            postgresql_where=text("voter_tag IS NOT NULL"),
            sqlite_where=text("voter_tag IS NOT NULL"),
        ),
        # A receipt check finds the ballot within its round (the code's hint gives the round, rules.hinted_rounds):
        # led by the round, so the close's rewrite of a round adds its entries to one narrow range of pages.
        Index("ix_ballot_round_id_receipt_digest", "round_id", "receipt_digest"),
        # Closing counts a round with one index-only GROUP BY over this.
        Index("ix_ballot_round_id_choice_mask", "round_id", "choice_mask"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The year of the round's programme: on PostgreSQL the table is partitioned by it (app/common/partitions.py).
    programme_year: int = Field(sa_column=Column(SmallInteger, primary_key=True, nullable=False, autoincrement=False))
    # Its round is checked once per statement by a trigger, not per row by a foreign key (migration 0037): the
    # close writes a round's 2,000 ballots again in one statement.
    round_id: uuid.UUID
    voter_tag: str | None = Field(default=None, max_length=64)
    choices: list[int] = Field(sa_column=Column(JSON, nullable=False))
    choice_mask: int = Field(sa_column=Column(BigInteger, nullable=False))
    # sha256 of the receipt code handed to the voter; the code itself is never stored.
    receipt_digest: str = Field(max_length=64)


class BallotHistory(SQLModel, table=True):
    """A ballot version its voter later replaced: its choices and receipt, tied to no voter and no ballot."""

    __tablename__ = "ballot_history"
    __table_args__ = (Index("ix_ballot_history_round_id_receipt_digest", "round_id", "receipt_digest"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # As the ballot's: partitioned by it on PostgreSQL.
    programme_year: int = Field(sa_column=Column(SmallInteger, primary_key=True, nullable=False, autoincrement=False))
    round_id: uuid.UUID = Field(foreign_key="voting_round.id")
    choices: list[int] = Field(sa_column=Column(JSON, nullable=False))
    receipt_digest: str = Field(max_length=64)


class LegacyReceipt(SQLModel, table=True):
    """The round of each receipt handed out before migration 0031, whose codes carry no round hint.

    Written once, by that migration, in the order of the digests (one transaction, no cast's order or time), and
    never again: it names a round, which the receipt's ballot row names anyway."""

    __tablename__ = "legacy_receipt"

    receipt_digest: str = Field(max_length=64, primary_key=True)
    round_id: uuid.UUID = Field(foreign_key="voting_round.id")
