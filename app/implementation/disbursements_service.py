"""Disbursements: paying the implementer instalment by instalment, each through the funds ledger."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.money import yuan
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.funds import policy as funds_policy
from app.funds import rules as fund_rules
from app.funds import service as funds
from app.funds.models import LedgerKind, ProjectBalance
from app.implementation import rules, standing
from app.implementation.models import Implementation
from app.implementation.money_schemas import DisbursementCreate
from app.implementation.payment_models import Disbursement
from app.implementation.spending_service import spent_fen

_REFUSALS = {
    "project_ended": "The project has ended; nothing more is paid.",
    "payments_stopped": "Payments are stopped: the mid-term review failed or is overdue.",
    "instalment_out_of_order": "An earlier instalment is not fully paid; instalments are paid in order.",
    "gate_not_met": "The condition that releases this instalment has not been met.",
    "mid_term_review_required": "This instalment waits for a passed mid-term review (中期评估).",
    "progress_not_reached": "The milestones done so far release nothing more of this instalment.",
    "project_fully_paid": "本项目的承诺资金已全部拨付（预算调减后，前期拨付已覆盖）。"
    "The project's commitment is paid in full.",
}


async def instalment_states(session: AsyncSession, impl: Implementation) -> list[rules.InstalmentState]:
    """The project's instalments as of now."""
    return rules.instalments(
        impl.instalment_plan,
        impl.budget_fen,
        await standing.paid_by_instalment(session, impl),
        await standing.facts(session, impl),
    )


async def disburse(
    session: AsyncSession, principal: Principal, impl: Implementation, body: DisbursementCreate
) -> Disbursement:
    """Pay one instalment (or part of it) once its gate is met; the ledger holds the commitment limit."""
    funds_policy.check_write(principal, LedgerKind.disbursement, impl.region_path)
    await standing.lock(session, impl)  # two payments of one project never read the same paid-so-far
    states = await instalment_states(session, impl)
    if body.instalment > len(states):
        raise Unprocessable(f"The project's plan has {len(states)} instalments.", code="instalment_unknown")
    if body.paid_on > clock.today() or body.paid_on < impl.started_on:
        raise Unprocessable("paid_on must fall between the start of the project and today.", code="paid_on_invalid")
    state = states[body.instalment - 1]
    if state.paid_fen >= state.amount_fen:
        raise Conflict(f"Instalment {state.position} is paid in full.", code="instalment_paid")
    if state.refusal:
        raise Conflict(
            _REFUSALS[state.refusal], code=state.refusal, extra={"instalment": state.position, "gate": state.gate}
        )
    amount = body.amount_fen or state.payable_fen
    balance = await session.get(ProjectBalance, impl.proposal_id, populate_existing=True)
    unpaid = fund_rules.unspent_fen(balance.committed_fen, balance.returned_fen, balance.disbursed_fen)
    if amount > unpaid:
        # Beyond this project's commitment: say what the project has left, not what its pilot has.
        raise Conflict(
            fund_rules.over_commitment_detail(
                LedgerKind.disbursement, amount, balance.committed_fen, balance.returned_fen, balance.disbursed_fen
            ),
            code="over_commitment",
            extra={
                "instalment": state.position,
                "payable_fen": state.payable_fen,
                "unspent_fen": unpaid,
                "asked_fen": amount,
                "disbursed_fen": balance.disbursed_fen,
                **fund_rules.commitment_figures(balance.committed_fen, balance.returned_fen),
            },
        )
    if amount > state.payable_fen:
        raise Conflict(
            f"第{state.position}期目前至多可拨付 {yuan(state.payable_fen)}。"
            f"Instalment {state.position} may pay at most {yuan(state.payable_fen)} now.",
            code="over_instalment",
            extra={"payable_fen": state.payable_fen},
        )
    entry = await funds.disburse(
        session,
        principal.actor,
        impl.proposal_id,
        amount,
        body.paid_on,
        document_ref=body.document_ref,
        note=body.note or f"第{state.position}期拨付",
    )
    disbursement = Disbursement(
        proposal_id=impl.proposal_id,
        instalment=state.position,
        amount_fen=amount,
        paid_on=body.paid_on,
        ledger_entry_id=entry.id,
        ledger_entry_year=entry.programme_year,
        recorded_by=principal.actor.id,
    )
    session.add(disbursement)
    await session.flush()
    await record(
        session,
        principal.actor,
        "disbursement.record",
        "proposal",
        impl.proposal_id,
        after={
            "disbursement_id": str(disbursement.id),
            "instalment": state.position,
            "gate": state.gate,
            "amount_fen": amount,
            "ledger_entry_id": str(entry.id),
        },
        region_path=impl.region_path,
    )
    return disbursement


async def schedule(session: AsyncSession, impl: Implementation) -> dict[str, Any]:
    """Instalments, payments, and the project's commitment, payments and spending in fen."""
    balance = await session.get(ProjectBalance, impl.proposal_id, populate_existing=True)
    payments = await session.scalars(
        select(Disbursement)
        .where(Disbursement.proposal_id == impl.proposal_id)
        .order_by(Disbursement.paid_on, Disbursement.created_at)
    )
    return {
        "proposal_id": impl.proposal_id,
        "status": impl.status.value,
        "budget_fen": impl.budget_fen,
        **fund_rules.commitment_figures(balance.committed_fen, balance.returned_fen),
        "disbursed_fen": balance.disbursed_fen,
        "unspent_fen": fund_rules.unspent_fen(balance.committed_fen, balance.returned_fen, balance.disbursed_fen),
        "spent_fen": await spent_fen(session, impl),
        "instalments": [
            {**vars(s), "gate_label": rules.GATE_LABELS[s.gate]} for s in await instalment_states(session, impl)
        ],
        "disbursements": list(payments),
    }
