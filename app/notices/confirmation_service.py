"""Confirmation (确定) after notice: the final content, plan, budget and benefits, and the ledger commitment."""

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.funds import service as funds
from app.notices import rules
from app.notices.models import Confirmation, ItemStatus, Notice, NoticeItem, NoticeStatus
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal
from app.review.models import ReviewPanel
from app.voting.models import VotingRound


async def confirm(
    session: AsyncSession,
    principal: Principal,
    notice: Notice,
    item: NoticeItem,
    *,
    content: str | None,
    plan: str | None,
    benefits: str | None,
    budget_fen: int | None,
    implementer: str | None,
    entry_date: date | None = None,
) -> Confirmation:
    """Confirm a project of a concluded notice; its budget (at most the amount noticed) is committed at once."""
    if notice.status != NoticeStatus.concluded:
        raise Conflict(
            "Projects are confirmed once their notice has concluded with no objection open.",
            code="notice_not_concluded",
        )
    if item.status != ItemStatus.under_notice:
        raise Conflict(f"This project is {item.status.value}; it cannot be confirmed.", code="item_not_confirmable")
    budget = item.amount_fen if budget_fen is None else budget_fen
    material = rules.material_change(item.amount_fen, item.implementer, budget, implementer)
    if material == "budget_above_notice":
        raise Conflict(
            "A budget above the amount under notice is a material change: restart its notice first.",
            code="budget_above_notice",
            extra={"noticed_fen": item.amount_fen, "restart": f"PATCH /api/v1/notice-items/{item.id}"},
        )
    if material == "implementer_changed":
        raise Conflict(
            f"更换实施主体（公示为“{item.implementer}”）属于实质性变更，该项目须重新公示：请通过 "
            f"PATCH /api/v1/notice-items/{item.id} 变更实施主体，重新公示期满后再确定。 "
            "Another implementer is a material change: change it under notice (its notice restarts), "
            "then confirm.",
            code="implementer_changed",
            extra={
                "noticed_implementer": item.implementer,
                "implementer": implementer,
                "restart": f"PATCH /api/v1/notice-items/{item.id}",
            },
        )
    proposal = await session.get(Proposal, item.proposal_id)
    pilot_id = await _pilot_of(session, notice)
    entry = await funds.commit_project(
        session,
        principal.actor,
        pilot_id,
        proposal.id,
        item.title,
        item.category,
        budget,
        project_type=item.project_type,
        entry_date=entry_date or clock.today(),
        document_ref=f"公示 {notice.id}"[:100],
        note="公示期满确定",
    )
    confirmation = Confirmation(
        proposal_id=proposal.id,
        notice_item_id=item.id,
        pilot_id=pilot_id,
        title=item.title,
        content=content or item.summary,
        plan=plan or proposal.plan,
        benefits=benefits or proposal.benefits,
        budget_fen=budget,
        implementer=implementer or item.implementer,
        ledger_entry_id=entry.id,
        ledger_entry_year=entry.programme_year,
        confirmed_by=principal.actor.id,
    )
    session.add(confirmation)
    item.status, item.updated_at = ItemStatus.confirmed, utcnow()
    await transition(
        session,
        proposal,
        ProposalState.confirmed,
        Process("notice", principal.actor),
        reason="公示期满无异议，项目确定",
        details={"budget_fen": budget, "ledger_entry_id": str(entry.id)},
    )
    await session.flush()
    await record(
        session,
        principal.actor,
        "project.confirm",
        "proposal",
        proposal.id,
        after={"budget_fen": budget, "implementer": confirmation.implementer, "ledger_entry_id": str(entry.id)},
        region_path=notice.region_path,
    )
    return confirmation


async def _pilot_of(session: AsyncSession, notice: Notice) -> uuid.UUID:
    """The pilot whose money the project commits: the round's, or the review panel's (公益微创投)."""
    rnd = await session.get(VotingRound, notice.round_id) if notice.round_id else None
    if rnd is not None:
        return rnd.pilot_id
    panel = await session.get(ReviewPanel, notice.review_panel_id) if notice.review_panel_id else None
    if panel is None:
        raise NotFound("The notice has no round, so no pilot to commit from.", code="round_not_found")
    return panel.pilot_id
