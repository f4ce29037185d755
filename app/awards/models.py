"""Award runs: the inputs' digest, the rules and the outputs of one computation, and where the run stands."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk


class RunState(StrEnum):
    """computed → approved (district) → published (under notice) → final; or discarded."""

    computed = "computed"
    approved = "approved"
    published = "published"
    final = "final"
    discarded = "discarded"


class AwardRun(SQLModel, table=True):
    """One computation of a campaign's awards; never recomputed in place, so its digests stay true."""

    __tablename__ = "award_run"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        # At most one run of a campaign goes forward (approved, published or final) at a time.
        Index(
            "uq_award_run_forward",
            "campaign_id",
            unique=True,
            sqlite_where=text("state IN ('approved', 'published', 'final')"),
            postgresql_where=text("state IN ('approved', 'published', 'final')"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    campaign_id: uuid.UUID = Field(foreign_key="evaluation_campaign.id", index=True)
    number: int
    state: RunState = Field(default=RunState.computed, sa_type=str_enum(RunState, 16))
    rule_version: str = Field(max_length=32)
    config: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # scoring and award rules as applied
    inputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the frames, as lists of records
    inputs_digest: str = Field(max_length=64)
    outputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outputs_digest: str = Field(max_length=64)
    notice_id: uuid.UUID | None = Field(default=None, foreign_key="notice.id")
    created_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
