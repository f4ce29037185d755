"""Closure (结项) after acceptance, or termination (终止) after a failed mid-term review.

Either way the project's unpaid commitment goes back to its pilot's uncommitted funds through a
ledger return, and the proposal leaves implementation: completed (ready for evaluation) or terminated.
"""

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.funds import rules as fund_rules
from app.funds import service as funds
from app.funds.models import ProjectBalance
from app.implementation import budget_changes_service, standing, waivers_service
from app.implementation import policy as review_policy
from app.implementation.models import Implementation, ImplementationStatus, Milestone
from app.implementation.review_models import Closure
from app.implementation.stages_schemas import ClosureCreate, MilestoneWaiver, TerminationCreate
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal
from app.voting import policy


def _check_date(impl: Implementation, day: date, name: str) -> None:
    if day > clock.today() or day < impl.started_on:
        raise Unprocessable(f"{name} must fall between the start of the project and today.", code=f"{name}_invalid")


async def _waive(
    session: AsyncSession, principal: Principal, impl: Implementation, waivers: list[MilestoneWaiver]
) -> None:
    """Waive the named open milestones; 409 listing any open milestone left unwaived."""
    milestones = list(
        await session.scalars(
            select(Milestone).where(Milestone.proposal_id == impl.proposal_id).order_by(Milestone.position)
        )
    )
    open_ = {m.id: m for m in milestones if m.done_on is None and m.waived_reason is None}
    reasons = {w.milestone_id: w.reason for w in waivers}
    strays = [str(i) for i in reasons if i not in open_]
    if strays:
        raise Unprocessable(
            "Only open milestones of this project can be waived.",
            code="waiver_not_open_milestone",
            extra={"milestone_ids": strays},
        )
    left = [m for i, m in open_.items() if i not in reasons]
    if left:
        raise Conflict(
            "Milestones are still open; waive each with a reason or complete it first.",
            code="open_milestones",
            extra={"milestones": [{"id": str(m.id), "title": m.title, "due_on": m.due_on.isoformat()} for m in left]},
        )
    await waivers_service.waive(session, principal, impl, [(open_[i], reason) for i, reason in reasons.items()])


async def _end(
    session: AsyncSession, principal: Principal, impl: Implementation, closure: Closure, state: ProposalState
) -> Closure:
    """Give back what was committed and not paid, record the end, move the proposal out of implementation."""
    ended = "终止" if closure.terminated else "结项"
    await budget_changes_service.lapse_pending(
        session, principal.actor, impl, f"项目已于 {closure.closed_on.isoformat()} {ended}，待决的预算调整失效。"
    )
    balance = await session.get(ProjectBalance, impl.proposal_id, populate_existing=True)
    unpaid = fund_rules.unspent_fen(balance.committed_fen, balance.returned_fen, balance.disbursed_fen)
    if unpaid > 0:
        entry = await funds.return_unspent(
            session,
            principal.actor,
            impl.proposal_id,
            unpaid,
            closure.closed_on,
            document_ref=("终止" if closure.terminated else "结项") + " 结余退回",
            note=closure.summary[:500],
        )
        closure.return_entry_id = entry.id
        closure.return_entry_year = entry.programme_year
    closure.returned_fen = unpaid
    impl.status = ImplementationStatus.terminated if closure.terminated else ImplementationStatus.closed
    impl.ended_on = closure.closed_on
    session.add(closure)
    await session.flush()
    proposal = await session.get(Proposal, impl.proposal_id)
    await transition(
        session, proposal, state, Process("implementation", principal.actor), details={"returned_fen": unpaid}
    )
    await record(
        session,
        principal.actor,
        "project.terminate" if closure.terminated else "project.close",
        "proposal",
        impl.proposal_id,
        after={
            "closed_on": closure.closed_on,
            "summary": closure.summary,
            "returned_fen": unpaid,
            "return_entry_id": str(closure.return_entry_id) if closure.return_entry_id else None,
        },
        region_path=impl.region_path,
    )
    return closure


async def close(session: AsyncSession, principal: Principal, impl: Implementation, body: ClosureCreate) -> Closure:
    """结项 of an accepted project with its completion report; open milestones need a waiver with a reason."""
    policy.check_organise(principal, impl.region_path, "implementation")
    await standing.lock(session, impl)
    standing.require_status(impl, ImplementationStatus.accepted, code="project_not_accepted")
    _check_date(impl, body.closed_on, "closed_on")
    await _waive(session, principal, impl, body.waive)
    closure = Closure(
        proposal_id=impl.proposal_id,
        terminated=False,
        closed_on=body.closed_on,
        summary=body.summary,
        outputs=body.outputs,
        beneficiaries=body.beneficiaries,
        problems=body.problems,
        returned_fen=0,
        closed_by=principal.actor.id,
    )
    return await _end(session, principal, impl, closure, ProposalState.completed)


async def terminate(
    session: AsyncSession, principal: Principal, impl: Implementation, body: TerminationCreate
) -> Closure:
    """终止 a project whose mid-term review failed (or came late): payments end, the rest goes back."""
    review_policy.check_review(principal, impl.region_path)
    await standing.lock(session, impl)
    if impl.status != ImplementationStatus.payment_stopped and not (await standing.facts(session, impl)).review_overdue:
        raise Conflict(
            "Only a project whose mid-term review failed, came late or is overdue can be terminated.",
            code="termination_needs_failed_review",
            extra={"project_status": impl.status.value},
        )
    _check_date(impl, body.ended_on, "ended_on")
    closure = Closure(
        proposal_id=impl.proposal_id,
        terminated=True,
        closed_on=body.ended_on,
        summary=body.reason,
        returned_fen=0,
        closed_by=principal.actor.id,
    )
    return await _end(session, principal, impl, closure, ProposalState.terminated)


async def closure_of(session: AsyncSession, proposal_id: uuid.UUID) -> Closure | None:
    """How the project ended, if it has."""
    return await session.get(Closure, proposal_id)
