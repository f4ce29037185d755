"""The event table, the single-row chain head that orders sealing, and the anchors of archived years.

An event is written pending (no seq, no hashes, chain year 0) in the transaction of the change it records; the
sealer (app.audit.sealer) links pending events into the chain shortly after, under the head's row lock, and gives
each its chain year. Writers never wait on each other for the chain: only the sealer, once per batch, takes the
head. On PostgreSQL the table is LIST-partitioned by chain year (migration 0036): the pending events in
`audit_event_pending` (year 0), the sealed ones in `audit_event_y<year>` (app/common/partitions.py).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, SmallInteger, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One recorded state change: who did what to which entity, before and after."""

    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The partition key: 0 while pending, then the year the sealer gives the event as it links it (never lower
    # than the head's, so seq and chain year rise together). Part of every key, as PostgreSQL requires.
    chain_year: int = Field(
        default=0, sa_column=Column(SmallInteger, primary_key=True, nullable=False, server_default="0")
    )
    # Position in the chain; None while pending (recorded, not yet sealed).
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
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
        # Unique with the year, as a partitioned table can declare it; seq alone is unique because one sealer
        # at a time, under the head's row lock, gives the next seqs (docs/scaling.md, "The audit chain").
        UniqueConstraint("seq", "chain_year"),
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
    # The chain year of the last link (0 before any), raised by a detach past the detached year: no event is
    # given a year lower than it.
    year: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, server_default="0"))


class AuditChainArchive(SQLModel, table=True):
    """A chain year detached into the archive schema: its events and the last link, where verification of what
    stays starts (append-only on PostgreSQL)."""

    __tablename__ = "audit_chain_archive"

    year: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    events: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The first seq of the year (None when it held no event) and the last link of the chain up to its end.
    first_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_hash: str = Field(sa_column=Column(String(64), nullable=False))
    archived_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
