"""Attachments: photos and PDFs checked by their bytes, stored on local disk under a random name."""

import uuid
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common import uploads
from app.common.rows import get_or_404
from app.core.config import Settings
from app.core.errors import Conflict, Forbidden
from app.proposals import policy, rules
from app.proposals.models import Proposal, ProposalAttachment

MAX_ATTACHMENTS = 20
SUBDIR = "proposals"


def storage_path(settings: Settings, storage_name: str) -> Path:
    """Where an attachment's bytes live."""
    return uploads.storage_path(settings, SUBDIR, storage_name)


def check_upload(principal: Principal, proposal: Proposal) -> None:
    """The proposer while the proposal is with them; staff of its region until it is closed."""
    policy.check_read(principal, proposal)
    movers = policy.movers_for(principal, proposal)
    if rules.Mover.proposer in movers and proposal.state in rules.EDITABLE_STATES:
        return
    if movers - {rules.Mover.proposer} and proposal.state not in rules.TERMINAL_STATES:
        return
    raise Forbidden("You may not attach files to this proposal in its current state.", code="attachment_forbidden")


async def add_attachment(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    proposal: Proposal,
    filename: str | None,
    data: bytes,
) -> ProposalAttachment:
    """Store one file after checking its size and magic bytes; 413 too large, 415 not JPEG/PNG/WebP/PDF."""
    check_upload(principal, proposal)
    checked = uploads.check(
        settings,
        filename,
        data,
        too_large="An attachment may be at most {limit} bytes.",
        wrong_type="Attachments must be JPEG, PNG, WebP or PDF files (checked by content).",
    )
    count = await session.scalar(
        select(func.count()).select_from(ProposalAttachment).where(ProposalAttachment.proposal_id == proposal.id)
    )
    if count >= MAX_ATTACHMENTS:
        raise Conflict(f"A proposal may have at most {MAX_ATTACHMENTS} attachments.", code="too_many_attachments")
    attachment = ProposalAttachment(
        proposal_id=proposal.id,
        **checked.columns(),
        uploaded_by=principal.user_id,
    )
    session.add(attachment)
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.attachment_add",
        "proposal",
        proposal.id,
        after={
            "attachment_id": attachment.id,
            "content_type": checked.content_type,
            "size_bytes": checked.size_bytes,
            "sha256": attachment.sha256,
            "original_name": attachment.original_name,
        },
        region_path=proposal.region_path,
    )
    await uploads.store(storage_path(settings, attachment.storage_name), data)
    return attachment


async def get_attachment(session: AsyncSession, attachment_id: uuid.UUID) -> ProposalAttachment:
    """The attachment, or 404."""
    return await get_or_404(
        session, ProposalAttachment, attachment_id, code="attachment_not_found", detail="No attachment with that id."
    )


async def delete_attachment(
    session: AsyncSession, principal: Principal, proposal: Proposal, attachment: ProposalAttachment
) -> None:
    """Remove the row; the caller deletes the file once the transaction has committed."""
    check_upload(principal, proposal)
    await session.delete(attachment)
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.attachment_delete",
        "proposal",
        proposal.id,
        before={"attachment_id": attachment.id, "sha256": attachment.sha256, "original_name": attachment.original_name},
        region_path=proposal.region_path,
    )


def list_statement(proposal: Proposal) -> Select:
    """The proposal's attachments, oldest first."""
    return (
        select(ProposalAttachment)
        .where(ProposalAttachment.proposal_id == proposal.id)
        .order_by(ProposalAttachment.created_at, ProposalAttachment.id)
    )
