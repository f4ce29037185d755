"""Responses of the audit trail endpoints."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.common.schemas import ReadModel


class AuditEventRead(ReadModel):
    """One event as stored, with the hashes that chain it to the previous one."""

    id: uuid.UUID
    seq: int
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: str | None
    region_path: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    prev_hash: str
    hash: str


class ChainBreak(BaseModel):
    """The first event that does not verify."""

    seq: int
    event_id: str | None = Field(description="null when the chain head disagrees with the events")
    reason: str


class ChainVerification(BaseModel):
    """The result of walking the whole chain."""

    ok: bool
    checked: int = Field(ge=0, description="events verified before the first break (all of them when ok)")
    archived: int = Field(
        default=0,
        ge=0,
        description="events of the years detached into the archive, before the walk's start: the walk starts from "
        "their recorded last link (0 with from_genesis, which walks them)",
    )
    first_break: ChainBreak | None
    pending: int = Field(
        default=0,
        ge=0,
        description="events recorded but not yet sealed into the chain "
        "(recorded while the walk ran); the next verification includes them",
    )
