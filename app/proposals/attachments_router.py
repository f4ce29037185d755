"""HTTP for proposal attachments: multipart upload, listing, download with access checks, deletion."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Request, UploadFile, status
from fastapi.responses import FileResponse

from app.auth.deps import CurrentPrincipal
from app.common import uploads
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import NotFound, problems
from app.proposals import attachments_service, policy, service
from app.proposals.models import ProposalAttachment
from app.proposals.schemas import AttachmentRead

router = APIRouter(prefix="/api/v1", tags=["proposals"])


@router.post(
    "/proposals/{proposal_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentRead,
    summary="Attach a photo or PDF",
    responses=problems(401, 403, 404, 409, 413, 415, 422),
)
async def upload_attachment(
    proposal_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or PDF")],
) -> ProposalAttachment:
    """The type is read from the file's bytes, not its name; the size limit is the upload limit."""
    proposal = await service.get_proposal(session, proposal_id)
    settings = request.app.state.settings
    # One byte over the limit is enough to refuse; the rest is never read into memory.
    data = await file.read(settings.max_upload_bytes + 1)
    return await attachments_service.add_attachment(session, settings, principal, proposal, file.filename, data)


@router.get(
    "/proposals/{proposal_id}/attachments",
    response_model=Page[AttachmentRead],
    summary="List a proposal's attachments",
    responses=problems(401, 404),
)
async def list_attachments(
    proposal_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> dict:
    """Metadata of the proposal's files (proposer and staff of its region)."""
    proposal = await service.get_proposal(session, proposal_id)
    policy.check_read(principal, proposal)
    return await paginate(session, attachments_service.list_statement(proposal), page)


@router.get(
    "/proposal-attachments/{attachment_id}/content",
    response_class=FileResponse,
    summary="Download an attachment",
    responses={
        200: {
            "description": "the file",
            "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "application/pdf": {}},
        },
        **problems(401, 404),
    },
)
async def download_attachment(
    attachment_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> FileResponse:
    """The stored bytes, for whoever may read the proposal; never rendered inline."""
    attachment = await attachments_service.get_attachment(session, attachment_id)
    proposal = await service.get_proposal(session, attachment.proposal_id)
    try:
        policy.check_read(principal, proposal)
    except NotFound as exc:
        raise NotFound("No attachment with that id.", code="attachment_not_found") from exc
    return uploads.download(
        attachments_service.storage_path(request.app.state.settings, attachment.storage_name),
        attachment.content_type,
        attachment.original_name,
        missing="The attachment's file is missing from storage.",
    )


@router.delete(
    "/proposal-attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an attachment",
    responses=problems(401, 403, 404),
)
async def delete_attachment(
    attachment_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
) -> None:
    """The row goes now; the file after the transaction has committed (background tasks run after the response)."""
    attachment = await attachments_service.get_attachment(session, attachment_id)
    proposal = await service.get_proposal(session, attachment.proposal_id)
    try:
        policy.check_read(principal, proposal)
    except NotFound as exc:
        raise NotFound("No attachment with that id.", code="attachment_not_found") from exc
    await attachments_service.delete_attachment(session, principal, proposal, attachment)
    background.add_task(
        uploads.remove_file,
        attachments_service.storage_path(request.app.state.settings, attachment.storage_name),
    )
