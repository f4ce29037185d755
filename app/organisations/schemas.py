"""Request and response bodies of organisation registration, verification, membership and track record."""

import uuid
from datetime import datetime

from pydantic import Field

from app.auth.models import OrganisationKind
from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.organisations.rules import MemberRole, OrganisationStatus

CreditCode = Field(
    min_length=18, max_length=18, description="统一社会信用代码 (GB 32100-2015, check character included)"
)


class OrganisationRegister(WriteModel):
    """A social organisation registering itself; the caller becomes its owner and staff verify it."""

    name: DisplayText = Field(min_length=1, max_length=200)
    credit_code: str = CreditCode
    registration_authority: DisplayText = Field(
        min_length=1, max_length=100, description="登记管理机关, e.g. 福田区民政局"
    )
    legal_representative: DisplayText = Field(min_length=1, max_length=50, description="法定代表人")
    contact_name: DisplayText = Field(min_length=1, max_length=50)
    contact_phone: str = Field(min_length=11, max_length=20)
    service_area_id: uuid.UUID = Field(description="the street or community it serves; its staff verify it")


class StatusChange(WriteModel):
    """A verification, suspension or reinstatement, with the reason the organisation reads."""

    reason: str | None = Field(default=None, min_length=1, max_length=500, description="required to suspend")


class InvitationCreate(WriteModel):
    """An owner invites a person by phone; they accept after logging in with it."""

    phone: str = Field(min_length=11, max_length=20)
    role: MemberRole = MemberRole.member


class OrganisationRead(ReadModel):
    """An organisation as staff and its members see it."""

    id: uuid.UUID
    name: str
    kind: OrganisationKind
    status: OrganisationStatus
    region_id: uuid.UUID | None
    credit_code: str | None
    registration_authority: str | None
    legal_representative: str | None
    contact_name: str | None
    contact_phone: str | None
    service_area_id: uuid.UUID | None
    status_reason: str | None
    status_changed_at: datetime | None
    created_at: datetime


class MemberRead(ReadModel):
    """A membership; the person by name, never by phone."""

    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    role: MemberRole
    joined_at: datetime
    left_at: datetime | None


class InvitationRead(ReadModel):
    """An invitation, the phone masked."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    phone_masked: str
    role: MemberRole
    created_at: datetime
    accepted_at: datetime | None


class DocumentRead(ReadModel):
    """A registration document's metadata."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    content_type: str
    original_name: str
    size_bytes: int
    sha256: str
    created_at: datetime


class RecordProject(ReadModel):
    """One project in an organisation's track record."""

    proposal_id: uuid.UUID
    title: str
    year: int
    community_id: uuid.UUID
    role: str = Field(description="proposer (申报) or implementer (承接)")
    state: str
    total_fen: int
    implementation_status: str | None
    grade: str | None = Field(description="from the latest final award run that graded it")
    rectifications: int = Field(description="acceptance inspections that sent it to rectification (整改)")


class TrackRecord(ReadModel):
    """An organisation with every project it proposed or implemented."""

    organisation: OrganisationRead
    projects: list[RecordProject]


class PublicRecordProject(ReadModel):
    """A project of an organisation as the public sees it (submitted ones only)."""

    proposal_id: uuid.UUID
    title: str
    year: int
    role: str
    state: str
    total_fen: int
    grade: str | None


class PublicOrganisation(ReadModel):
    """An organisation as the public sees it: no contact, no members."""

    id: uuid.UUID
    name: str
    credit_code: str | None
    verified: bool
    status: OrganisationStatus
    projects: list[PublicRecordProject]
