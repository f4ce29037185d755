"""The event table and the single-row chain head that orders sealing.

An event is written pending (no seq, no hashes) in the transaction of the change it records; the sealer
(app.audit.sealer) links pending events into the chain shortly after, under the head's row lock. Writers
never wait on each other for the chain: only the sealer, once per batch, takes the head.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, SmallInteger, String, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One recorded state change: who did what to which entity, before and after."""

    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Position in the chain; None while pending (recorded, not yet sealed).
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, unique=True))
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
    # Order of the event among those its transaction recorded (they share occurred_at); sealing order.
    ordinal: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, server_default="0"))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))

    __table_args__ = (
        # The sealer's queue: only pending rows are in it, so it stays tiny however long the trail grows.
        Index(
            "ix_audit_event_pending",
            "occurred_at",
            "ordinal",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )


class AuditChainHead(SQLModel, table=True):
    """The last link of the chain; updating it takes the row lock that orders appends."""

    __tablename__ = "audit_chain_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))
