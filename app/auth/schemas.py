"""Request and response bodies of /api/v1/auth."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.auth.models import OrganisationKind, Role
from app.common.schemas import WriteModel

# Passwords are taken byte for byte: trimming would make " secret" and "secret" the same.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=128)]
Username = Annotated[str, Field(min_length=1, max_length=64)]
Phone = Annotated[str, Field(min_length=11, max_length=20, examples=["13800138000"])]


class LoginIn(WriteModel):
    """Staff login with username and password."""

    username: Username
    password: Password


class TokenOut(BaseModel):
    """A new login: a short-lived access token and a single-use refresh token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str
    role: Role
    user_id: uuid.UUID


class RefreshIn(WriteModel):
    """A refresh token to exchange (it is spent by the exchange)."""

    refresh_token: str = Field(min_length=1, max_length=200)


class OtpRequestIn(WriteModel):
    """Ask for a one-time code by SMS."""

    phone: Phone


class OtpRequestedOut(BaseModel):
    """The same answer whether or not the number has an account."""

    detail: str
    expires_in: int = Field(description="seconds the code is valid")


class OtpVerifyIn(WriteModel):
    """Exchange a one-time code for a login."""

    phone: Phone
    code: str = Field(pattern=r"^[0-9]{6}$", min_length=6, max_length=6)


class RegionRef(BaseModel):
    """A region named in a response."""

    id: uuid.UUID
    name: str
    level: str
    path: str


class OrganisationRef(BaseModel):
    """An organisation named in a response."""

    id: uuid.UUID
    name: str
    kind: OrganisationKind


class MeOut(BaseModel):
    """Who the caller is: a user (staff or resident) or an organisation's API token."""

    kind: Literal["user", "token"]
    role: Role
    user_id: uuid.UUID | None = None
    username: str | None = None
    display_name: str | None = None
    phone_masked: str | None = None
    region: RegionRef | None = None
    organisation: OrganisationRef | None = None
    token_id: uuid.UUID | None = None
    token_prefix: str | None = None
    scopes: list[str] = Field(default_factory=list)
    campaign_id: uuid.UUID | None = None
    expires_at: datetime | None = None
