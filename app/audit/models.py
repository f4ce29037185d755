"""The event table and the single-row chain head that serialises appends."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, String
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One recorded state change: who did what to which entity, before and after."""

    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_type: str = Field(max_length=32)
    actor_id: str | None = Field(default=None, max_length=64, index=True)
    actor_label: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=100, index=True)
    entity_type: str = Field(max_length=64, index=True)
    entity_id: str | None = Field(default=None, max_length=64, index=True)
    region_path: str | None = Field(default=None, max_length=400, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


class AuditChainHead(SQLModel, table=True):
    """The last link of the chain; updating it takes the row lock that orders appends."""

    __tablename__ = "audit_chain_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))
