"""One claimed Idempotency-Key per principal: the request it guards and, once done, its stored response."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk


class IdempotencyStatus(StrEnum):
    """A key is claimed by a running request, then holds that request's response."""

    in_flight = "in_flight"
    completed = "completed"


class IdempotencyRecord(SQLModel, table=True):
    """A key as used by one principal; unique per (principal_key, key)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("principal_key", "key"),
        # Closing a round forgets its casts' stored answers by path (ballots_service.cut_voter_links).
        Index("ix_idempotency_record_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    principal_key: str = Field(max_length=100)
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=1000)
    request_fingerprint: str = Field(max_length=64)
    status: IdempotencyStatus = Field(sa_type=str_enum(IdempotencyStatus, 16))
    response_status: int | None = Field(default=None)
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The claim's lease: past it, the request that claimed the key is presumed dead.
    locked_until: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
