"""Programme (one per district and year) and Pilot (a community designated for that year)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk


class ProgrammeStatus(StrEnum):
    """draft (rules editable) → open (rules frozen, money moves) → closed (year end done)."""

    draft = "draft"
    open = "open"
    closed = "closed"


class Programme(SQLModel, table=True):
    """A district's annual programme (年度计划) and the rules every later step reads."""

    __tablename__ = "programme"
    __table_args__ = (
        UniqueConstraint("district_id", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("starts_on <= closing_date AND closing_date <= ends_on", name="period_order"),
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),
    )

    id: uuid.UUID = uuid_pk()
    district_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    # The district's path, copied so scope checks need no join.
    region_path: str = Field(max_length=400, index=True)
    year: int
    name: str = Field(max_length=100)
    status: ProgrammeStatus = Field(default=ProgrammeStatus.draft, sa_type=str_enum(ProgrammeStatus, 16))
    starts_on: date
    ends_on: date
    # Money not committed by this date is carried over or swept back at year end.
    closing_date: date
    rules: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Pilot(SQLModel, table=True):
    """A community designated as a pilot (试点) in one programme year."""

    __tablename__ = "pilot"
    __table_args__ = (
        UniqueConstraint("programme_id", "community_id"),
        Index("ix_pilot_region_path", "region_path", postgresql_ops={"region_path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    programme_id: uuid.UUID = Field(foreign_key="programme.id", index=True)
    community_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    # Street, district and year are copied from the tree and programme so reports group without joins.
    street_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    district_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    year: int = Field(index=True)
    region_path: str = Field(max_length=400)
    note: str | None = Field(default=None, max_length=500)
    designated_by: str | None = Field(default=None, max_length=64)
    designated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
