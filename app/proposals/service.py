"""Proposal intake: create and revise drafts, load and list (flush only; the request commits)."""

import uuid
from typing import Any

from sqlalchemy import Select, delete, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import Organisation, Role
from app.auth.principal import Principal
from app.auth.scoping import region_or_422
from app.common.models import utcnow
from app.common.money import yuan
from app.common.rows import get_or_404
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.organisations.rules import may_apply
from app.programmes.lookup import open_programme_for, rules_of
from app.programmes.models import Programme, ProgrammeStatus
from app.programmes.service import get_programme
from app.proposals import policy, rules
from app.proposals.enums import ProposalKind, ProposalState, ProposerKind
from app.proposals.models import BudgetLine, Proposal
from app.proposals.schemas import BudgetLineIn, ProposalCreate, ProposalUpdate
from app.regions.models import Region, RegionLevel
from app.regions.rules import SUB_UNITS, is_within
from app.voting.roll_service import entry_of_voter

CONTENT_FIELDS = ("title", "kind", "project_type", "category", "need", "plan", "benefits")


def snapshot(proposal: Proposal, lines: list[BudgetLine] | None = None) -> dict[str, Any]:
    """The audited state of a proposal (lines included when given)."""
    out = {
        "id": proposal.id,
        "programme_id": proposal.programme_id,
        "community_id": proposal.community_id,
        "unit_id": proposal.unit_id,
        "proposer_kind": proposal.proposer_kind,
        "state": proposal.state,
        "total_fen": proposal.total_fen,
        "venture_plan": proposal.venture_plan,
        "intake_channel": proposal.intake_channel,
        "proposer_name": proposal.proposer_name,
        **{f: getattr(proposal, f) for f in CONTENT_FIELDS},
    }
    if lines is not None:
        out["budget_lines"] = [
            {
                "item": ln.item,
                "unit": ln.unit,
                "quantity": ln.quantity,
                "unit_price_fen": ln.unit_price_fen,
                "amount_fen": ln.amount_fen,
                "is_personnel": ln.is_personnel,
            }
            for ln in lines
        ]
    return out


async def get_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> Proposal:
    """The proposal, or 404."""
    return await get_or_404(
        session, Proposal, proposal_id, code="proposal_not_found", detail="No proposal with that id."
    )


async def budget_lines(session: AsyncSession, proposal_id: uuid.UUID) -> list[BudgetLine]:
    """The proposal's lines in order."""
    return list(
        (
            await session.scalars(
                select(BudgetLine).where(BudgetLine.proposal_id == proposal_id).order_by(BudgetLine.position)
            )
        ).all()
    )


async def cap_for(session: AsyncSession, proposal: Proposal) -> int:
    """The per-project cap in fen of the proposal's programme for its type."""
    programme = await get_programme(session, proposal.programme_id)
    return rules_of(programme).project_caps.cap_for(proposal.project_type)


async def programme_for(session: AsyncSession, community: Region, programme_id: uuid.UUID | None) -> Programme:
    if programme_id is None:
        programme = await open_programme_for(session, community.path)
        if programme is None:
            raise Unprocessable(
                "The community's district has no open programme to propose to.", code="no_open_programme"
            )
        return programme
    programme = await session.get(Programme, programme_id)
    if programme is None or not is_within(community.path, programme.region_path):
        raise Unprocessable("No such programme in the community's district.", code="unknown_programme")
    if programme.status == ProgrammeStatus.closed:
        raise Unprocessable("The programme is closed.", code="programme_closed")
    return programme


async def unit_of(session: AsyncSession, community: Region, unit_id: uuid.UUID | None) -> Region | None:
    unit = await region_or_422(session, unit_id)
    if unit is not None and (unit.level not in SUB_UNITS or not is_within(unit.path, community.path)):
        raise Unprocessable(
            "The unit must be a grid, compound, group or building of the community.", code="unit_outside_community"
        )
    return unit


def check_budget_cap(total_fen: int, cap_fen: int) -> None:
    if total_fen > cap_fen:
        raise Unprocessable(
            f"预算 {yuan(total_fen)} 超过该类项目的上限 {yuan(cap_fen)}。"
            "The budget exceeds the cap for this project type.",
            code="over_cap",
            extra={"total_fen": total_fen, "cap_fen": cap_fen},
        )


def build_lines(proposal_id: uuid.UUID, data: list[BudgetLineIn]) -> list[BudgetLine]:
    return [
        BudgetLine(
            proposal_id=proposal_id,
            position=i,
            item=ln.item,
            unit=ln.unit,
            quantity=ln.quantity,
            unit_price_fen=ln.unit_price_fen,
            amount_fen=rules.line_amount(ln.quantity, ln.unit_price_fen),
            is_personnel=ln.is_personnel,
        )
        for i, ln in enumerate(data, start=1)
    ]


def check_personnel(kind: ProposalKind, lines: list[BudgetLine], total_fen: int, programme: Programme) -> None:
    """422 when personnel lines break 办事不养人, or pass the 公益微创投 share the programme allows."""
    personnel = sum(ln.amount_fen for ln in lines if ln.is_personnel)
    max_pct = rules_of(programme).venture.personnel_max_pct
    problem = rules.personnel_problem(kind, personnel, total_fen, max_pct)
    if problem:
        code = "personnel_not_allowed" if kind != ProposalKind.venture else "personnel_over_limit"
        raise Unprocessable(
            problem, code=code, extra={"personnel_fen": personnel, "total_fen": total_fen, "personnel_max_pct": max_pct}
        )


async def _applicant(
    session: AsyncSession, principal: Principal, data: ProposalCreate, community: Region
) -> Organisation | None:
    """The organisation applying (verified only), or None for a resident, who must live or be on the roll there."""
    if data.kind == ProposalKind.venture and not data.as_organisation:
        raise Unprocessable("公益微创投项目须由已核验的社会组织申报。", code="venture_needs_organisation")
    if data.as_organisation:
        if principal.organisation_id is None:
            raise Unprocessable("您的账号不属于任何机构。", code="no_organisation")
        org = await session.get(Organisation, principal.organisation_id)
        if not may_apply(org.status):
            raise Unprocessable(
                "机构尚未通过核验或已被暂停，不能申报项目。",
                code="organisation_not_verified",
                extra={"organisation_status": org.status.value},
            )
        return org
    if (
        principal.role == Role.resident
        and not rules.lives_in(principal.region_path, community.path)
        and await entry_of_voter(session, community.id, principal.phone_digest) is None
    ):
        raise Forbidden("居民只能在自己居住或登记在居民名册的社区提出提案。", code="not_resident_of_community")
    return None


def _venture_plan(
    data: ProposalCreate | ProposalUpdate, kind: ProposalKind, current: dict | None = None
) -> dict | None:
    plan = data.venture_plan.model_dump() if data.venture_plan is not None else current
    if kind == ProposalKind.venture and plan is None:
        raise Unprocessable(
            "公益微创投项目须填写项目书：服务对象及人数、服务内容及时长、产出与成效指标。", code="venture_plan_required"
        )
    return plan if kind == ProposalKind.venture else None


async def create_proposal(session: AsyncSession, principal: Principal, data: ProposalCreate) -> Proposal:
    """A draft proposal; totals are computed here and checked against the programme's per-type cap."""
    community = await region_or_422(session, data.community_id)
    if community.level != RegionLevel.community:
        raise Unprocessable("A proposal is for a community (社区/村).", code="not_a_community")
    unit = await unit_of(session, community, data.unit_id)
    programme = await programme_for(session, community, data.programme_id)
    org = await _applicant(session, principal, data, community)
    venture_plan = _venture_plan(data, data.kind)
    total = rules.budget_total((ln.quantity, ln.unit_price_fen) for ln in data.budget_lines)
    check_budget_cap(total, rules_of(programme).project_caps.cap_for(data.project_type))
    check_personnel(data.kind, build_lines(uuid.uuid4(), data.budget_lines), total, programme)
    proposal = Proposal(
        programme_id=programme.id,
        community_id=community.id,
        unit_id=unit.id if unit else None,
        region_path=community.path,
        proposer_user_id=principal.user_id,
        proposer_kind=ProposerKind.organisation if org else ProposerKind.resident,
        proposer_organisation_id=org.id if org else None,
        venture_plan=venture_plan,
        total_fen=total,
        **{f: getattr(data, f) for f in CONTENT_FIELDS},
    )
    return await add_proposal(session, principal, proposal, data.budget_lines)


async def add_proposal(
    session: AsyncSession, principal: Principal, proposal: Proposal, data: list[BudgetLineIn]
) -> Proposal:
    """Store a new proposal with its lines and audit it."""
    session.add(proposal)
    await session.flush()
    lines = build_lines(proposal.id, data)
    session.add_all(lines)
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.create",
        "proposal",
        proposal.id,
        after=snapshot(proposal, lines),
        region_path=proposal.region_path,
    )
    return proposal


async def update_proposal(
    session: AsyncSession, principal: Principal, proposal: Proposal, data: ProposalUpdate
) -> Proposal:
    """Revise a draft or returned proposal; lines, when given, replace the old ones and the total is recomputed."""
    policy.check_edit(principal, proposal)
    if proposal.state not in rules.EDITABLE_STATES:
        raise Conflict(f"A {proposal.state.value} proposal can no longer be changed.", code="proposal_not_editable")
    old_lines = await budget_lines(session, proposal.id)
    before = snapshot(proposal, old_lines)
    changes = data.model_dump(exclude_unset=True)
    if "unit_id" in changes:
        community = await session.get(Region, proposal.community_id)
        unit = await unit_of(session, community, data.unit_id)
        proposal.unit_id = unit.id if unit else None
    lines = old_lines
    if data.budget_lines is not None:
        lines = build_lines(proposal.id, data.budget_lines)
    project_type = data.project_type or proposal.project_type
    total = rules.budget_total((ln.quantity, ln.unit_price_fen) for ln in lines)
    programme = await get_programme(session, proposal.programme_id)
    check_budget_cap(total, rules_of(programme).project_caps.cap_for(project_type))
    kind = data.kind or proposal.kind
    if kind == ProposalKind.venture and proposal.proposer_organisation_id is None:
        raise Unprocessable("公益微创投项目须由已核验的社会组织申报。", code="venture_needs_organisation")
    check_personnel(kind, lines, total, programme)
    proposal.venture_plan = _venture_plan(data, kind, proposal.venture_plan)
    for field in CONTENT_FIELDS:
        if field in changes:
            setattr(proposal, field, getattr(data, field))
    if data.budget_lines is not None:
        await session.execute(delete(BudgetLine).where(BudgetLine.proposal_id == proposal.id))
        session.add_all(lines)
    proposal.total_fen, proposal.updated_at = total, utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.update",
        "proposal",
        proposal.id,
        before=before,
        after=snapshot(proposal, lines),
        region_path=proposal.region_path,
    )
    return proposal


def list_statement(
    principal: Principal, state: ProposalState | None, community_id: uuid.UUID | None, programme_id: uuid.UUID | None
) -> Select:
    """Residents: their own proposals, drafts included. Staff: submitted proposals of their region."""
    stmt = select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id)
    if principal.role == Role.resident:
        stmt = stmt.where(Proposal.proposer_user_id == principal.user_id)
    else:
        # Staff see what was submitted in their region, and the drafts they entered for residents.
        region = (
            Proposal.region_path.startswith(principal.region_path, autoescape=True)
            if principal.region_path
            else false()
        )
        if principal.role == Role.admin:
            region = true()
        stmt = stmt.where(
            (Proposal.submitted_at.is_not(None) & region) | (Proposal.proposer_user_id == principal.user_id)
        )
    if state:
        stmt = stmt.where(Proposal.state == state)
    if community_id:
        stmt = stmt.where(Proposal.community_id == community_id)
    if programme_id:
        stmt = stmt.where(Proposal.programme_id == programme_id)
    return stmt
