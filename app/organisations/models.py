"""Organisation tables beyond the organisation itself: members, invitations and registration documents."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk
from app.organisations.rules import MemberRole


class OrganisationMember(SQLModel, table=True):
    """A user's membership of an organisation; left_at ends it. app_user.organisation_id mirrors the open one,
    so access checks need no join."""

    __tablename__ = "organisation_member"

    id: uuid.UUID = uuid_pk()
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    role: MemberRole = Field(sa_type=str_enum(MemberRole, 16))
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrganisationInvitation(SQLModel, table=True):
    """An owner's invitation to a phone number; the resident with that phone accepts it after logging in."""

    __tablename__ = "organisation_invitation"

    id: uuid.UUID = uuid_pk()
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    phone_digest: str = Field(max_length=64, index=True)
    phone_masked: str = Field(max_length=20)
    role: MemberRole = Field(sa_type=str_enum(MemberRole, 16))
    invited_by: uuid.UUID = Field(foreign_key="app_user.id")
    created_at: datetime = created_at_field()
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrganisationDocument(SQLModel, table=True):
    """A registration document (登记证书, 章程 …) staff check before verifying; bytes on disk like attachments."""

    __tablename__ = "organisation_document"

    id: uuid.UUID = uuid_pk()
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    content_type: str = Field(max_length=50)
    original_name: str = Field(max_length=255)
    size_bytes: int
    sha256: str = Field(max_length=64)
    storage_name: str = Field(max_length=64, unique=True)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
