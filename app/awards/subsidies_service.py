"""以奖代补 through the ledger: when an award list is final, each awarded community's pilot receives its subsidies
from the district's award fund as an earmarked fund source, each subsidy is committed against that source alone,
and finance pays it like any commitment (the finance reports and the public finance page show it).

The subsidy's ledger project is named by the run and the awarded project, so a run can never commit one twice
and a later run's subsidy stays apart from it.
"""

import uuid
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.awards import rules
from app.awards.models import AwardRun, RunState
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.evaluation.models import EvaluationCampaign
from app.funds import policy as funds_policy
from app.funds import rules as funds_rules
from app.funds import service as funds
from app.funds.models import FundSource, FundSourceKind, LedgerEntry, LedgerKind, ReturnTarget
from app.programmes.models import Pilot
from app.proposals.models import Proposal
from app.regions.models import Region

_NAMESPACE = uuid.UUID("5d7c2f0e-4a4b-4f57-9a55-6a1b2c3d4e25")


def ledger_project_id(run_id: uuid.UUID, proposal_id: uuid.UUID | str) -> uuid.UUID:
    """The ledger project of one award's subsidy."""
    return uuid.uuid5(_NAMESPACE, f"award-subsidy:{run_id}:{proposal_id}")


async def commit_all(
    session: AsyncSession, principal: Principal, run: AwardRun, campaign: EvaluationCampaign, outputs: dict[str, Any]
) -> list[dict[str, Any]]:
    """Receive and commit every subsidy of the final list (outputs without withdrawn awards), never beyond the
    run's fund; the caller holds the run's row lock, so a run's subsidies are committed once."""
    paid = [p for p in outputs["projects"] if p["subsidy_fen"]]
    fund = run.config["awards"]["subsidy_fund_fen"]
    total = sum(p["subsidy_fen"] for p in paid)
    if total > fund:
        raise Conflict(
            f"以奖代补合计 {rules.yuan(total)} 元，超过奖励资金 {rules.yuan(fund)} 元。",
            code="award_fund_exceeded",
            extra={"fund_fen": fund, "asked_fen": total},
        )
    today = clock.today()
    district = await session.get(Region, campaign.district_id)
    document = f"{campaign.year}年度项目评估第{run.number}次评奖以奖代补"[:100]
    out = []
    for community_id, group in groupby(
        sorted(paid, key=lambda p: (p["community_id"], p["rank"])), key=lambda p: p["community_id"]
    ):
        projects = list(group)
        pilot = await session.scalar(
            select(Pilot).where(
                Pilot.programme_id == campaign.programme_id, Pilot.community_id == uuid.UUID(community_id)
            )
        )
        if pilot is None:
            raise Conflict(
                "获奖项目所在社区不是本年度试点，无法登记以奖代补资金。",
                code="award_pilot_missing",
                extra={"community_id": community_id},
            )
        amount = sum(p["subsidy_fen"] for p in projects)
        source = FundSource(
            pilot_id=pilot.id,
            kind=FundSourceKind.award_subsidy,
            payer=f"{district.name}以奖代补资金",
            document_ref=document,
            dated=today,
            planned_fen=amount,
            returns_to=ReturnTarget.district,
            note=f"评奖运行 {run.id}",
            created_by=principal.actor.id,
        )
        session.add(source)
        await session.flush()
        await funds.record_funds_in(session, principal.actor, source, amount, today, document_ref=document)
        for p in projects:
            proposal = await session.get(Proposal, uuid.UUID(p["project_id"]))
            ledger_id = ledger_project_id(run.id, proposal.id)
            entry = await funds.commit_project(
                session,
                principal.actor,
                pilot.id,
                ledger_id,
                f"以奖代补：{p['title']}"[:200],
                proposal.category,
                p["subsidy_fen"],
                project_type=proposal.project_type,
                entry_date=today,
                document_ref=document,
                note=f"{p['grade']}等级以奖代补",
                source_id=source.id,
            )
            out.append(
                {
                    "project_id": p["project_id"],
                    "ledger_project_id": str(ledger_id),
                    "pilot_id": str(pilot.id),
                    "fund_source_id": str(source.id),
                    "amount_fen": p["subsidy_fen"],
                    "ledger_entry_id": str(entry.id),
                }
            )
    return out


async def pay(
    session: AsyncSession,
    principal: Principal,
    run: AwardRun,
    withdrawn: rules.Withdrawn,
    proposal_id: uuid.UUID,
    amount_fen: int | None,
    entry_date: date | None,
    document_ref: str | None,
) -> LedgerEntry:
    """Finance pays (part of) one final, not withdrawn subsidy; never beyond what was committed and is unpaid."""
    if run.state != RunState.final:
        raise Conflict(
            "评奖结果尚未确定：公示期满、结果确定后才能拨付以奖代补。",
            code="award_run_state",
            extra={"run_state": run.state.value, "allowed": [RunState.final.value]},
        )
    if str(proposal_id) in withdrawn[rules.PROJECT]:
        raise Conflict("该项目的奖项已因异议成立被撤销，不能拨付以奖代补。", code="award_withdrawn")
    if not any(p["project_id"] == str(proposal_id) and p["subsidy_fen"] for p in run.outputs["projects"]):
        raise NotFound("该项目在本次评奖中没有以奖代补。", code="subsidy_not_found")
    ledger_id = ledger_project_id(run.id, proposal_id)
    balance = await funds.get_project(session, ledger_id)
    pilot = await session.get(Pilot, balance.pilot_id)
    funds_policy.check_write(principal, LedgerKind.disbursement, pilot.region_path)
    unpaid = funds_rules.unspent_fen(balance.committed_fen, balance.returned_fen, balance.disbursed_fen)
    if amount_fen is None and unpaid == 0:
        raise Conflict("该项目的以奖代补已全部拨付。", code="subsidy_paid")
    return await funds.disburse(
        session,
        principal.actor,
        ledger_id,
        amount_fen or unpaid,
        entry_date or clock.today(),
        document_ref=document_ref,
        note="以奖代补拨付",
    )
