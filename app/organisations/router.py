"""HTTP for social organisations: self-registration, documents, verification, membership, track record."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import FileResponse

from app.auth.deps import CurrentPrincipal, require_roles
from app.auth.models import Organisation, Role
from app.auth.principal import STAFF_ROLES, Principal
from app.common import uploads
from app.common.pagination import page_params, paginate, paginate_rows
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import NotFound, problems
from app.organisations import documents_service, members_service, policy, record, service
from app.organisations.models import OrganisationDocument, OrganisationInvitation, OrganisationMember
from app.organisations.schemas import (
    DocumentRead,
    InvitationCreate,
    InvitationRead,
    MemberRead,
    OrganisationRead,
    OrganisationRegister,
    StatusChange,
    TrackRecord,
)

router = APIRouter(prefix="/api/v1", tags=["organisations"])

Resident = Annotated[Principal, Depends(require_roles(Role.resident))]
Verifier = Annotated[Principal, Depends(require_roles(*policy.VERIFIER_ROLES))]
Staff = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]


async def valid_organisation(organisation_id: uuid.UUID, session: SessionDep) -> Organisation:
    """The organisation named in the path, or 404."""
    return await service.get_organisation(session, organisation_id)


OrganisationDep = Annotated[Organisation, Depends(valid_organisation)]


@router.post(
    "/organisations/register",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationRead,
    summary="Register one's social organisation (pending until staff verify it)",
    responses=problems(401, 403, 409, 422),
)
async def register(principal: Resident, body: OrganisationRegister, session: SessionDep) -> Organisation:
    """The credit code must pass its GB 32100-2015 check; the caller becomes the organisation's owner."""
    return await service.register(session, principal, body)


@router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationRead,
    summary="Read an organisation",
    responses=problems(401, 404),
)
async def read(principal: CurrentPrincipal, org: OrganisationDep) -> Organisation:
    """Staff and the organisation's members; 404 for anyone else."""
    policy.check_read(principal, org.id)
    return org


@router.get(
    "/organisations/{organisation_id}/record",
    response_model=TrackRecord,
    summary="An organisation's track record (past projects, grades, rectifications)",
    responses=problems(401, 403, 404),
)
async def track_record(_: Staff, org: OrganisationDep, session: SessionDep) -> dict:
    """For staff and evaluators weighing an application: every project it proposed or implemented."""
    return {"organisation": org, "projects": await record.projects(session, org.id, public=False)}


@router.post(
    "/organisations/{organisation_id}/verify",
    response_model=OrganisationRead,
    summary="Verify an organisation (its documents checked)",
    responses=problems(401, 403, 404, 409, 422),
)
async def verify(principal: Verifier, org: OrganisationDep, body: StatusChange, session: SessionDep) -> Organisation:
    """Street or district staff of its seat; at least one document must be on file."""
    return await service.change_status(session, principal, org, "verify", body)


@router.post(
    "/organisations/{organisation_id}/suspend",
    response_model=OrganisationRead,
    summary="Suspend an organisation",
    responses=problems(401, 403, 404, 409, 422),
)
async def suspend(principal: Verifier, org: OrganisationDep, body: StatusChange, session: SessionDep) -> Organisation:
    """A suspended organisation applies for nothing until reinstated; the reason is required."""
    return await service.change_status(session, principal, org, "suspend", body)


@router.post(
    "/organisations/{organisation_id}/reinstate",
    response_model=OrganisationRead,
    summary="Reinstate a suspended organisation",
    responses=problems(401, 403, 404, 409, 422),
)
async def reinstate(principal: Verifier, org: OrganisationDep, body: StatusChange, session: SessionDep) -> Organisation:
    """Back to verified."""
    return await service.change_status(session, principal, org, "reinstate", body)


@router.post(
    "/organisations/{organisation_id}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentRead,
    summary="Upload a registration document (登记证书, 章程 …)",
    responses=problems(401, 403, 404, 409, 413, 415, 422),
)
async def upload_document(
    principal: CurrentPrincipal,
    org: OrganisationDep,
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or PDF")],
) -> OrganisationDocument:
    """The owner, or street and district staff of its seat."""
    policy.check_read(principal, org.id)
    settings = request.app.state.settings
    data = await file.read(settings.max_upload_bytes + 1)
    return await documents_service.add_document(session, settings, principal, org, file.filename, data)


@router.get(
    "/organisations/{organisation_id}/documents",
    response_model=Page[DocumentRead],
    summary="An organisation's documents",
    responses=problems(401, 404),
)
async def list_documents(principal: CurrentPrincipal, org: OrganisationDep, session: SessionDep, page: Paging) -> dict:
    """Members and staff."""
    policy.check_read(principal, org.id)
    return await paginate(session, documents_service.list_statement(org.id), page)


@router.get(
    "/organisation-documents/{document_id}/content",
    response_class=FileResponse,
    summary="Download an organisation's document",
    responses={
        200: {
            "description": "the file",
            "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}},
        },
        **problems(401, 404),
    },
)
async def download_document(
    principal: CurrentPrincipal, document_id: uuid.UUID, request: Request, session: SessionDep
) -> FileResponse:
    """The stored bytes, for members and staff; never rendered inline."""
    doc = await documents_service.get_document(session, document_id)
    try:
        policy.check_read(principal, doc.organisation_id)
    except NotFound as exc:
        raise NotFound("没有这份材料。", code="document_not_found") from exc
    return uploads.download(
        documents_service.storage_path(request.app.state.settings, doc.storage_name),
        doc.content_type,
        doc.original_name,
        missing="材料文件已不在存储中。",
    )


@router.get(
    "/organisations/{organisation_id}/members",
    response_model=Page[MemberRead],
    summary="Members of an organisation",
    responses=problems(401, 404),
)
async def list_members(principal: CurrentPrincipal, org: OrganisationDep, session: SessionDep, page: Paging) -> dict:
    """Members and staff see names and roles; phones never."""
    policy.check_read(principal, org.id)
    return await paginate_rows(session, members_service.members_statement(org.id), page, _member)


def _member(row) -> MemberRead:
    m: OrganisationMember = row[0]
    return MemberRead(
        id=m.id, user_id=m.user_id, display_name=row.display_name, role=m.role, joined_at=m.joined_at, left_at=m.left_at
    )


@router.post(
    "/organisations/{organisation_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationRead,
    summary="Invite a member by phone",
    responses=problems(401, 403, 404, 409, 422),
)
async def invite(
    principal: Resident, org: OrganisationDep, body: InvitationCreate, request: Request, session: SessionDep
) -> InvitationRead:
    """Owners only; the invitee accepts after logging in with that phone."""
    policy.check_read(principal, org.id)
    invitation = await members_service.invite(session, request.app.state.settings, principal, org, body)
    return _invitation((invitation, org.name))


def _invitation(row) -> InvitationRead:
    inv: OrganisationInvitation = row[0]
    return InvitationRead(
        id=inv.id,
        organisation_id=inv.organisation_id,
        organisation_name=row[1],
        phone_masked=inv.phone_masked,
        role=inv.role,
        created_at=inv.created_at,
        accepted_at=inv.accepted_at,
    )


@router.get(
    "/organisation-invitations",
    response_model=Page[InvitationRead],
    summary="Invitations waiting for my phone",
    responses=problems(401, 403),
)
async def my_invitations(principal: Resident, session: SessionDep, page: Paging) -> dict:
    """Open invitations to the caller's phone number."""
    return await paginate_rows(session, members_service.my_invitations(principal), page, _invitation)


@router.post(
    "/organisation-invitations/{invitation_id}/accept",
    response_model=MemberRead,
    summary="Accept an invitation and join",
    responses=problems(401, 403, 404, 409),
)
async def accept(principal: Resident, invitation_id: uuid.UUID, session: SessionDep) -> MemberRead:
    """The resident whose phone was invited joins with the invited role."""
    member = await members_service.accept(session, principal, invitation_id)
    return MemberRead(
        id=member.id,
        user_id=member.user_id,
        display_name=principal.label,
        role=member.role,
        joined_at=member.joined_at,
        left_at=None,
    )


@router.post(
    "/organisations/{organisation_id}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave an organisation",
    responses=problems(401, 403, 404, 409),
)
async def leave(principal: Resident, org: OrganisationDep, session: SessionDep) -> None:
    """A member leaves; the last owner cannot."""
    await members_service.leave(session, principal, org)
