"""Request and response bodies of /api/v1/users and /api/v1/organisations."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.auth.models import OrganisationKind, Role
from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.organisations.rules import OrganisationStatus

# The length and strength rules (at least 12 characters, zxcvbn score >= 3) are checked by the service, so a
# short password gets the same clear 422 weak_password, in Chinese, as a guessable one.
NewPassword = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=1, max_length=128),
    Field(
        description="at least 12 characters and not guessable (zxcvbn score >= 3, the "
        "username and display name counted as known)"
    ),
]


class UserCreate(WriteModel):
    """A staff account; residents create theirs by phone code."""

    username: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$",
        min_length=3,
        max_length=64,
        description="lower-case letters, digits, . _ -",
    )
    password: NewPassword
    display_name: DisplayText = Field(min_length=1, max_length=100)
    role: Role
    region_id: uuid.UUID | None = Field(default=None, description="required for every role but admin")
    organisation_id: uuid.UUID | None = Field(default=None, description="binds the account as a member")


class UserUpdate(WriteModel):
    """Fields staff may change; omitted fields stay as they are."""

    display_name: DisplayText | None = Field(default=None, min_length=1, max_length=100)
    is_active: bool | None = None
    role: Role | None = Field(default=None, description="finance, supervisor and admin: administrators only")
    region_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="a staff account's membership follows: binding opens it, null ends it (residents join and leave"
        " themselves); only organisations seated in the caller's region (no region: administrators only)",
    )
    password: NewPassword | None = Field(default=None, description="reset: ends the user's sessions")


class UserNoticeOut(ReadModel):
    """A change someone made to the caller's account, as it was announced to them."""

    id: uuid.UUID
    message: str
    changes: dict
    changed_by: str
    created_at: datetime


class UserOut(ReadModel):
    """A user as staff see it (no password hash, phone masked)."""

    id: uuid.UUID
    username: str | None
    display_name: str
    role: Role
    region_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    phone_masked: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class OrganisationCreate(WriteModel):
    """A social organisation, assessor or other body."""

    name: DisplayText = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    region_id: uuid.UUID | None = Field(default=None, description="empty: works across regions")
    credit_code: str | None = Field(
        default=None,
        min_length=18,
        max_length=18,
        description="统一社会信用代码 (GB 32100-2015, check character included)",
    )


class OrganisationOut(ReadModel):
    """An organisation."""

    id: uuid.UUID
    name: str
    kind: OrganisationKind
    region_id: uuid.UUID | None
    credit_code: str | None
    status: OrganisationStatus
    created_at: datetime
