"""Direct commitments (直接安排): outside the vote and notice, only on a named decision, and labelled as such.

Money normally reaches a project through the process: vote, public notice, confirmation
(app/notices/confirmation_service.py commits it). The direct route is for the real exceptions, an emergency project
decided by the community's representative meeting or by a district document, and every public figure shows it.
"""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Actor
from app.core.errors import Conflict, Unprocessable
from app.deliberation.enums import MotionOutcome
from app.deliberation.models import Meeting, Motion
from app.funds import rules, service
from app.funds.models import CommitmentBasis, LedgerEntry, ProjectBalance
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.service import pilot_context
from app.proposals.models import Proposal
from app.voting import reservations_service


async def _passed_motion(
    session: AsyncSession, motion_id: uuid.UUID, community_id: uuid.UUID, project_id: uuid.UUID
) -> Motion:
    motion = await session.get(Motion, motion_id)
    meeting = await session.get(Meeting, motion.meeting_id) if motion else None
    if motion is None or meeting is None or meeting.community_id != community_id:
        raise Unprocessable(
            "没有找到本试点社区居民代表会议的这一议题。No agenda item of this community's "
            "representative meetings with that id.",
            code="motion_unknown",
        )
    if motion.proposal_id is not None and motion.proposal_id != project_id:
        raise Unprocessable(
            "该议题审议的是另一个项目。That agenda item is about another proposal.", code="motion_other_proposal"
        )
    if motion.outcome != MotionOutcome.passed:
        raise Conflict(
            "该议题未获居民代表会议通过，不能作为直接安排资金的依据。The meeting has not passed that item.",
            code="motion_not_passed",
            extra={"outcome": motion.outcome.value if motion.outcome else None},
        )
    return motion


async def _refuse_in_process(session: AsyncSession, project_id: uuid.UUID, community_id: uuid.UUID) -> None:
    proposal = await session.get(Proposal, project_id)
    if proposal is not None and proposal.community_id != community_id:
        raise Conflict(
            "该提案属于另一个社区。The proposal belongs to another community.", code="project_in_other_pilot"
        )
    if proposal is not None and proposal.state.value in rules.IN_PROCESS_STATES:
        raise Conflict(
            f"该提案正在征集、审议、投票、公示或确定流程中（{proposal.state.value}），"
            "资金只能经公示确定后承诺。"
            "The proposal is in the process; its money is committed by confirmation after the notice.",
            code="proposal_in_process",
            extra={"state": proposal.state.value},
        )
    basis = await session.scalar(select(ProjectBalance.basis).where(ProjectBalance.project_id == project_id))
    if basis == CommitmentBasis.notice:
        raise Conflict(
            "该项目已经公示确定承诺资金，不能直接追加。The project's money came through the notice; "
            "change it by a budget change.",
            code="proposal_in_process",
        )


async def commit_direct(
    session: AsyncSession,
    actor: Actor,
    pilot_id: uuid.UUID,
    project_id: uuid.UUID,
    title: str,
    category: ProjectCategory,
    amount_fen: int,
    *,
    project_type: ProjectType,
    entry_date: date,
    decision_motion_id: uuid.UUID | None,
    decision_document_ref: str | None,
    note: str | None = None,
) -> LedgerEntry:
    """Commit a project outside the process on its decision: a passed motion of the pilot community's
    representative meeting, or a document reference (文件号)."""
    if problem := rules.decision_problem(decision_motion_id is not None, decision_document_ref is not None):
        raise Unprocessable(problem, code="decision_required")
    ctx = await pilot_context(session, pilot_id)
    await _refuse_in_process(session, project_id, ctx.pilot.community_id)
    ref = decision_document_ref
    if decision_motion_id is not None:
        motion = await _passed_motion(session, decision_motion_id, ctx.pilot.community_id, project_id)
        ref = f"居民代表会议决议：{motion.title}"[:100]
    await reservations_service.refuse_taking_held_money(session, pilot_id, amount_fen, "直接安排")
    return await service.commit_project(
        session,
        actor,
        pilot_id,
        project_id,
        title,
        category,
        amount_fen,
        project_type=project_type,
        entry_date=entry_date,
        document_ref=ref,
        note=note,
        basis=CommitmentBasis.direct,
        decision_motion_id=decision_motion_id,
        decision_ref=ref,
    )
