"""Deliberation councils (议事会, 恳谈会, 听证会 …) and how their participants were chosen (001 三(二))."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk
from app.deliberation.enums import CouncilForm, CouncilState, GroupBasis, ParticipantSource, SelectionMethod


class Council(SQLModel, table=True):
    """A deliberation session of a community, announced publicly, with a fixed number of seats."""

    __tablename__ = "council"
    __table_args__ = (
        Index("ix_council_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    region_path: str = Field(max_length=400)
    topic: str = Field(max_length=200)
    form: CouncilForm = Field(sa_type=str_enum(CouncilForm, 16))
    scheduled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str = Field(max_length=200)
    host: str = Field(max_length=100)
    seats: int
    state: CouncilState = Field(default=CouncilState.registering, sa_type=str_enum(CouncilState, 16))
    # Recorded so anyone can re-run the draw and get the same participants.
    seed: str | None = Field(default=None, max_length=32)
    quotas: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    selected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class CouncilParticipant(SQLModel, table=True):
    """A candidate for a council seat: registered or invited; selected when the draw gives a seat."""

    __tablename__ = "council_participant"
    __table_args__ = (UniqueConstraint("council_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    council_id: uuid.UUID = Field(foreign_key="council.id", index=True)
    name: str = Field(max_length=100)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    # The quota group a candidate belongs to (e.g. 老年人, 租户, 楼道长); free text set by staff or the registrant.
    group: str | None = Field(default=None, max_length=50)
    # Set with group: a registrant's own claim counts for a quota only once the roll or staff back it.
    group_basis: GroupBasis | None = Field(default=None, sa_type=str_enum(GroupBasis, 16))
    # The roll entry that let a resident register (公开报名 is for the community's own residents).
    roll_entry_id: uuid.UUID | None = Field(default=None, foreign_key="voter_roll_entry.id")
    source: ParticipantSource = Field(sa_type=str_enum(ParticipantSource, 16))
    selected: bool = Field(default=False)
    selected_by: SelectionMethod | None = Field(default=None, sa_type=str_enum(SelectionMethod, 16))
    created_at: datetime = created_at_field()
