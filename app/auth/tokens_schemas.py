"""Request and response bodies of /api/v1/api-tokens."""

import uuid
from datetime import datetime

from pydantic import Field

from app.auth.scopes import Scope
from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText


class ApiTokenCreate(WriteModel):
    """Issue a token to an organisation."""

    organisation_id: uuid.UUID
    name: DisplayText = Field(min_length=1, max_length=100, examples=["2026 评估 · 评估中心"])
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires_in_days: int = Field(default=90, ge=1, le=365)
    campaign_id: uuid.UUID | None = Field(default=None, description="bind the token to one evaluation campaign")


class ApiTokenOut(ReadModel):
    """A token as listed: never its secret."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    campaign_id: uuid.UUID | None
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_by_id: uuid.UUID | None
    created_at: datetime


class ApiTokenCreated(ApiTokenOut):
    """The new token, with its secret: shown this once, store it now."""

    token: str
