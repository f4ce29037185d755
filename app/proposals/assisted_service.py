"""Assisted intake: staff enter a proposal for a named resident or group, who claims it later with their phone."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.otp_service import phone_digest
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, require_within
from app.auth.secrets import mask_phone
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.config import Settings
from app.core.errors import Conflict, Unprocessable
from app.organisations.service import phone_or_422
from app.programmes.lookup import rules_of
from app.proposals import rules
from app.proposals.enums import ProposalKind, ProposerKind
from app.proposals.models import Proposal
from app.proposals.schemas import AssistedProposalCreate
from app.proposals.service import (
    CONTENT_FIELDS,
    add_proposal,
    build_lines,
    check_budget_cap,
    check_personnel,
    programme_for,
    unit_of,
)
from app.regions.models import RegionLevel


async def enter(
    session: AsyncSession, settings: Settings, principal: Principal, data: AssistedProposalCreate
) -> Proposal:
    """A draft held by the staff member who entered it, naming its proposer and the channel the need came by."""
    community = await region_or_422(session, data.community_id)
    if community.level != RegionLevel.community:
        raise Unprocessable("提案须针对一个社区（村）。", code="not_a_community")
    require_within(principal, community.path, "该社区")
    if data.kind == ProposalKind.venture:
        raise Unprocessable("公益微创投项目须由已核验的社会组织申报。", code="venture_needs_organisation")
    unit = await unit_of(session, community, data.unit_id)
    programme = await programme_for(session, community, data.programme_id)
    total = rules.budget_total((ln.quantity, ln.unit_price_fen) for ln in data.budget_lines)
    check_budget_cap(total, rules_of(programme).project_caps.cap_for(data.project_type))
    check_personnel(data.kind, build_lines(uuid.uuid4(), data.budget_lines), total, programme)
    phone = phone_or_422(data.proposer.phone) if data.proposer.phone else None
    proposal = Proposal(
        programme_id=programme.id,
        community_id=community.id,
        unit_id=unit.id if unit else None,
        region_path=community.path,
        proposer_user_id=principal.user_id,
        proposer_kind=ProposerKind(data.proposer.kind),
        intake_channel=data.channel,
        entered_by_id=principal.user_id,
        proposer_name=data.proposer.name,
        proposer_phone_digest=phone_digest(settings, phone) if phone else None,
        proposer_phone_masked=mask_phone(phone) if phone else None,
        total_fen=total,
        **{f: getattr(data, f) for f in CONTENT_FIELDS},
    )
    return await add_proposal(session, principal, proposal, data.budget_lines)


def claimable_statement(principal: Principal) -> Select:
    """Proposals staff entered naming the caller's phone, not yet claimed."""
    return (
        select(Proposal)
        .where(
            Proposal.proposer_phone_digest == principal.phone_digest,
            Proposal.proposer_phone_digest.is_not(None),
            Proposal.claimed_at.is_(None),
        )
        .order_by(Proposal.created_at, Proposal.id)
    )


async def claim(session: AsyncSession, principal: Principal, proposal_id: uuid.UUID) -> Proposal:
    """The resident whose phone the proposal names becomes its proposer; for anyone else it does not exist."""
    digest = principal.phone_digest
    proposal = await get_or_404(
        session,
        Proposal,
        proposal_id,
        code="proposal_not_found",
        detail="No proposal with that id.",
        accept=lambda p: digest is not None and p.proposer_phone_digest == digest,
    )
    if proposal.claimed_at is not None:
        raise Conflict("这个提案已经认领过了。", code="proposal_already_claimed")
    before = {"proposer_user_id": proposal.proposer_user_id}
    proposal.proposer_user_id, proposal.claimed_at, proposal.updated_at = principal.user_id, utcnow(), utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.claim",
        "proposal",
        proposal.id,
        before=before,
        after={"proposer_user_id": principal.user_id, "entered_by_id": proposal.entered_by_id},
        region_path=proposal.region_path,
    )
    return proposal
