"""Registration documents: uploaded by the organisation's owner or staff, read by members and staff."""

import uuid
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import Organisation, Role
from app.auth.principal import Principal
from app.common import uploads
from app.common.rows import get_or_404
from app.core.config import Settings
from app.core.errors import Conflict, Forbidden
from app.organisations import policy
from app.organisations.members_service import membership
from app.organisations.models import OrganisationDocument
from app.organisations.rules import MemberRole
from app.organisations.service import seat_path

MAX_DOCUMENTS = 20
SUBDIR = "organisations"


def storage_path(settings: Settings, storage_name: str) -> Path:
    """Where a document's bytes live."""
    return uploads.storage_path(settings, SUBDIR, storage_name)


async def _check_upload(session: AsyncSession, principal: Principal, org: Organisation, path: str | None) -> None:
    if principal.role != Role.resident:
        policy.check_verifier(principal, path)
        return
    member = await membership(session, org.id, principal.user_id)
    if member is None or member.role != MemberRole.owner:
        raise Forbidden("只有机构负责人或辖区工作人员可以上传证明材料。", code="not_owner")


async def add_document(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    org: Organisation,
    filename: str | None,
    data: bytes,
) -> OrganisationDocument:
    """Store one PDF or image after checking its size and bytes."""
    path = await seat_path(session, org)
    await _check_upload(session, principal, org, path)
    checked = uploads.check(
        settings,
        filename,
        data,
        too_large="文件不能超过{limit}字节。",
        wrong_type="证明材料须为JPEG、PNG、WebP图片或PDF文件。",
    )
    count = await session.scalar(
        select(func.count()).select_from(OrganisationDocument).where(OrganisationDocument.organisation_id == org.id)
    )
    if count >= MAX_DOCUMENTS:
        raise Conflict(f"每个机构最多上传{MAX_DOCUMENTS}份材料。", code="too_many_attachments")
    doc = OrganisationDocument(
        organisation_id=org.id,
        **checked.columns(),
        uploaded_by=principal.user_id,
    )
    session.add(doc)
    await session.flush()
    await record(
        session,
        principal.actor,
        "organisation.document_add",
        "organisation",
        org.id,
        after={"document_id": doc.id, "sha256": doc.sha256, "original_name": doc.original_name},
        region_path=path,
    )
    await uploads.store(storage_path(settings, doc.storage_name), data)
    return doc


def list_statement(organisation_id: uuid.UUID) -> Select:
    """The organisation's documents, oldest first."""
    return (
        select(OrganisationDocument)
        .where(OrganisationDocument.organisation_id == organisation_id)
        .order_by(OrganisationDocument.created_at, OrganisationDocument.id)
    )


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> OrganisationDocument:
    """The document, or 404."""
    return await get_or_404(
        session, OrganisationDocument, document_id, code="document_not_found", detail="没有这份材料。"
    )
