"""Identity tables: users, organisations, login sessions, refresh tokens, one-time codes, API tokens."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk
from app.organisations.rules import OrganisationStatus


class Role(StrEnum):
    """What a principal may do; staff roles are bound to a region."""

    resident = "resident"
    community_staff = "community_staff"
    street_admin = "street_admin"
    district_admin = "district_admin"
    finance = "finance"
    evaluator = "evaluator"
    assessor = "assessor"
    supervisor = "supervisor"
    admin = "admin"


class OrganisationKind(StrEnum):
    """Kinds of organisation the service deals with."""

    social_organisation = "social_organisation"  # 社会组织
    assessor = "assessor"  # 第三方评估机构
    community_foundation = "community_foundation"  # 社区基金会
    other = "other"


class Organisation(SQLModel, table=True):
    """A social organisation, third-party assessor or other body."""

    __tablename__ = "organisation"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200, unique=True)
    kind: OrganisationKind = Field(sa_type=str_enum(OrganisationKind))
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    credit_code: str | None = Field(default=None, max_length=18)  # 统一社会信用代码
    created_at: datetime = created_at_field()
    # Registered by staff: verified at once. Registered by a resident for their organisation: pending until
    # street or district staff have checked its documents (app/organisations).
    status: OrganisationStatus = Field(
        default=OrganisationStatus.verified, sa_type=str_enum(OrganisationStatus, 16), index=True
    )
    registration_authority: str | None = Field(default=None, max_length=100)  # 登记管理机关
    legal_representative: str | None = Field(default=None, max_length=50)  # 法定代表人
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=20)
    service_area_id: uuid.UUID | None = Field(default=None, foreign_key="region.id")  # 服务区域
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_changed_by: str | None = Field(default=None, max_length=64)


class User(SQLModel, table=True):
    """A person: staff log in with a password, residents with a phone and one-time code."""

    __tablename__ = "app_user"

    id: uuid.UUID = uuid_pk()
    role: Role = Field(sa_type=str_enum(Role), index=True)
    username: str | None = Field(default=None, max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    display_name: str = Field(max_length=100)
    # Phones are matched by keyed hash and shown masked; the number itself is not stored.
    phone_digest: str | None = Field(default=None, max_length=64, unique=True)
    phone_masked: str | None = Field(default=None, max_length=20)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    is_active: bool = Field(default=True)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the person deleted their account: the row stays (proposals and the audit trail name its id, a
    # pseudonym from then on) with every personal field emptied (app/privacy/erasure_service.py).
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """One login: the family of rotating refresh tokens; access tokens name it as `sid`."""

    __tablename__ = "auth_session"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=64)


class RefreshToken(SQLModel, table=True):
    """A single-use refresh token (stored as SHA-256); using a spent one revokes its family."""

    __tablename__ = "refresh_token"

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = Field(foreign_key="auth_session.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class OtpCode(SQLModel, table=True):
    """A one-time login code sent to a phone (stored as a keyed hash)."""

    __tablename__ = "otp_code"

    id: uuid.UUID = uuid_pk()
    phone_digest: str = Field(max_length=64, index=True)
    code_hash: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    attempts: int = Field(default=0)
    consumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class ApiToken(SQLModel, table=True):
    """A machine credential for an organisation; the secret is shown once and stored as an HMAC."""

    __tablename__ = "api_token"

    id: uuid.UUID = uuid_pk()
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, index=True)
    token_hmac: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Optional binding to one evaluation campaign: the token can touch nothing else.
    campaign_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_campaign.id", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class UserNotice(SQLModel, table=True):
    """A change to a user's account made by someone else (role, region, organisation, password reset), kept
    for the user to read: an account quietly given more power, or moved, is something its holder should see."""

    __tablename__ = "user_notice"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    message: str = Field(max_length=500)
    # field -> {"before": ..., "after": ...}; a password reset is {"password": {"reset": true}}
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=200)
    created_at: datetime = created_at_field()
