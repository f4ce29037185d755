"""Award runs: compute from a closed campaign, approve, publish under notice, finalise (transactional)."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.award_model import RULE_VERSION, AwardRuleError
from app.analytics.awards import digest
from app.audit.service import record
from app.auth.models import Role
from app.auth.principal import Principal
from app.awards import rules, run_rules, subsidies_service
from app.awards.inputs import campaign_inputs
from app.awards.models import AwardRun, RunState
from app.awards.schemas import AwardPublish, AwardRunCreate
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.evaluation import policy
from app.evaluation.campaign_service import get_campaign, has_assignment, phase_of
from app.evaluation.models import CampaignProject, EvaluationCampaign
from app.evaluation.rules import Phase
from app.implementation.models import Implementation
from app.notices import service as notices
from app.notices.models import AwardKind, ItemStatus, Notice, NoticeItem, NoticeKind
from app.programmes.models import Programme
from app.programmes.service import programme_rules
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Move, Process, transition_many
from app.proposals.models import Proposal
from app.regions.models import Region


async def create_run(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, body: AwardRunCreate
) -> AwardRun:
    """Compute the awards of a campaign whose window has closed; 409 while scores may still change."""
    campaign = await get_campaign(session, campaign_id, lock="update")  # runs of a campaign are numbered in turn
    policy.check_manage(principal, campaign.region_path)
    if phase_of(campaign) != Phase.ended:
        raise Conflict(
            f"The campaign's window runs until {campaign.closes_on.isoformat()}; awards are computed "
            "once scores are locked.",
            code="campaign_window_open",
            extra={"closes_on": campaign.closes_on.isoformat()},
        )
    try:
        scoring, awards = run_rules.scoring_rules(campaign, body), run_rules.award_rules(campaign, body)
    except AwardRuleError as exc:
        raise Unprocessable(str(exc), code=exc.code) from exc
    nominated = {n.community_id for n in body.nominations}
    known = set(
        await session.scalars(
            select(Region.id).where(
                Region.path.startswith(campaign.region_path, autoescape=True), Region.id.in_(nominated)
            )
        )
    )
    if nominated - known:
        raise Unprocessable(
            "A nomination names a community outside the campaign's district.", code="nomination_community_unknown"
        )
    inputs = {**await campaign_inputs(session, campaign.id), "nominations": run_rules.nominations(body)}
    config = run_rules.config_of(scoring, awards)
    outputs = run_rules.run_outputs(inputs, scoring, awards)
    number = (
        await session.scalar(select(func.max(AwardRun.number)).where(AwardRun.campaign_id == campaign.id)) or 0
    ) + 1
    run = AwardRun(
        campaign_id=campaign.id,
        number=number,
        rule_version=RULE_VERSION,
        config=config,
        inputs=inputs,
        inputs_digest=digest({"inputs": inputs, "config": config}),
        outputs=outputs,
        outputs_digest=digest(outputs),
        created_by=principal.actor.id,
    )
    session.add(run)
    await session.flush()
    await record(
        session,
        principal.actor,
        "award_run.compute",
        "award_run",
        run.id,
        after={
            "campaign_id": str(campaign.id),
            "number": number,
            "inputs_digest": run.inputs_digest,
            "outputs_digest": run.outputs_digest,
            "rule_version": RULE_VERSION,
        },
        region_path=campaign.region_path,
    )
    return run


async def run_for(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID, *, manage: bool, lock: str | None = None
) -> tuple[AwardRun, EvaluationCampaign]:
    """The run and its campaign, as the caller may read (overseers of the district) or run them."""
    run = await get_or_404(
        session,
        AwardRun,
        run_id,
        code="award_run_not_found",
        detail="No award run with that id.",
        lock=lock,
        fresh=True,
    )
    campaign = await get_campaign(session, run.campaign_id)
    policy.check_oversee(principal, campaign.region_path, "award_run")
    if manage:
        policy.check_manage(principal, campaign.region_path)
    return run, campaign


async def report_run_for(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID
) -> tuple[AwardRun, EvaluationCampaign]:
    """The run whose report the caller may read: overseers as run_for; an assessor's API token (with reports:read)
    only a published or final run of the campaign it is bound to, or, unbound, of one its organisation is
    assigned in. Everything else is 404, so a token learns nothing about other campaigns' runs."""
    if principal.role != Role.assessor:
        return await run_for(session, principal, run_id, manage=False)
    run = await get_or_404(
        session, AwardRun, run_id, code="award_run_not_found", detail="No award run with that id.", fresh=True
    )
    announced = run.state in (RunState.published, RunState.final)
    if principal.campaign_id is not None:
        reachable = principal.campaign_id == run.campaign_id
    else:
        reachable = await has_assignment(session, principal, run.campaign_id)
    if not (announced and reachable):
        raise NotFound("No award run with that id.", code="award_run_not_found")
    return run, await get_campaign(session, run.campaign_id)


def _require(run: AwardRun, *states: RunState) -> None:
    if run.state not in states:
        raise Conflict(
            f"The run is {run.state.value}.",
            code="award_run_state",
            extra={"run_state": run.state.value, "allowed": [s.value for s in states]},
        )


async def approve(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> AwardRun:
    """District approval (审定): one run of a campaign goes forward; its outputs are rechecked first."""
    run, campaign = await run_for(session, principal, run_id, manage=True, lock="update")
    _require(run, RunState.computed)
    if digest(run.outputs) != run.outputs_digest:
        raise Conflict("The run's stored outputs no longer match their digest.", code="award_run_tampered")
    run.state, run.approved_by, run.approved_at = RunState.approved, principal.actor.id, utcnow()
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Another run of this campaign is already approved.", code="award_run_exists") from exc
    await record(
        session,
        principal.actor,
        "award_run.approve",
        "award_run",
        run.id,
        after={"outputs_digest": run.outputs_digest},
        region_path=campaign.region_path,
    )
    return run


async def discard(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> AwardRun:
    """Set a computed or approved run aside (a new run may then go forward)."""
    run, campaign = await run_for(session, principal, run_id, manage=True, lock="update")
    _require(run, RunState.computed, RunState.approved)
    run.state = RunState.discarded
    await session.flush()
    await record(
        session, principal.actor, "award_run.discard", "award_run", run.id, after={}, region_path=campaign.region_path
    )
    return run


async def region_names(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    """Region names by id (as strings, the way outputs name them)."""
    if not ids:
        return {}
    rows = await session.execute(select(Region.id, Region.name).where(Region.id.in_([uuid.UUID(i) for i in ids])))
    return {str(i): name for i, name in rows.all()}


async def publish(session: AsyncSession, principal: Principal, run_id: uuid.UUID, body: AwardPublish) -> AwardRun:
    """Put an approved run's award list under public notice: every award (project, 示范社区, 社区工作法) is an
    item anyone may object to."""
    run, campaign = await run_for(session, principal, run_id, manage=True, lock="update")
    _require(run, RunState.approved)
    programme = await session.get(Programme, campaign.programme_id)
    starts_on = clock.today()
    end, days = await notices.window_for(session, programme, starts_on, body.days)
    outputs = run.outputs
    names = await region_names(
        session,
        sorted(
            {c["community_id"] for c in outputs["model_communities"]}
            | {w["community_id"] for w in outputs["work_methods"]}
        ),
    )
    awards = rules.awards_of(outputs, names)
    lines = [f"优秀项目 {len(outputs['excellent_projects'])} 个"]
    lines += [a.summary for a in awards if a.kind != rules.PROJECT]
    lines.append(f"以奖代补合计 {rules.yuan(outputs['subsidies']['awarded_fen'])} 元")
    notice = Notice(
        kind=NoticeKind.award,
        programme_id=campaign.programme_id,
        community_id=campaign.district_id,
        region_path=campaign.region_path,
        title=f"{campaign.year}年度民生微实事项目评估结果及表彰名单公示",
        body="\n".join(lines)[:4000],
        how_to_object=body.how_to_object or notices.DEFAULT_HOW_TO_OBJECT,
        starts_on=starts_on,
        ends_on=end.end,
        window_unit=programme_rules(programme).notice.unit,
        window_days=days,
        calendar_sources=list(end.sources),
        assumed_weekdays=end.assumed_weekdays,
        published_by=principal.actor.id,
    )
    session.add(notice)
    await session.flush()
    for award in awards:
        proposal = impl = None
        if award.kind == rules.PROJECT:
            proposal = await session.get(Proposal, uuid.UUID(award.key))
            impl = await session.get(Implementation, proposal.id)
        session.add(
            NoticeItem(
                notice_id=notice.id,
                proposal_id=proposal.id if proposal else None,
                number=award.number,
                title=award.title,
                project_type=proposal.project_type if proposal else None,
                category=proposal.category if proposal else None,
                summary=award.summary,
                amount_fen=award.amount_fen,
                implementer=impl.implementer_name if impl else "",
                starts_on=starts_on,
                ends_on=end.end,
                award_kind=AwardKind(award.kind),
                award_key=award.key,
                award_community_id=uuid.UUID(award.community_id),
            )
        )
    run.state, run.notice_id, run.published_at = RunState.published, notice.id, utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "award_run.publish",
        "award_run",
        run.id,
        after={"notice_id": str(notice.id), "ends_on": end.end, "items": len(awards)},
        region_path=campaign.region_path,
    )
    return run


async def finalise(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> dict[str, Any]:
    """Conclude the notice (after its window, no objection open) and make the list final, without the awards an
    upheld objection withdrew; each remaining 以奖代补 is committed against the award fund in the ledger."""
    run, campaign = await run_for(session, principal, run_id, manage=True, lock="update")
    _require(run, RunState.published)
    notice = await notices.get_notice(session, run.notice_id, lock="update")
    await notices.conclude(session, principal, notice)
    withdrawn = await withdrawn_of(session, run)
    outputs = rules.effective(run.outputs, withdrawn)
    titles = [i.title for i in await notices.items_of(session, notice.id) if i.status == ItemStatus.removed]
    notice.body = f"{notice.body or ''}\n\n{rules.final_note(outputs, titles)}".strip()[:4000]
    run.state, run.finalised_at = RunState.final, utcnow()
    await session.flush()
    commitments = await subsidies_service.commit_all(session, principal, run, campaign, outputs)
    # The year's evaluation is settled: its completed projects become 已评估.
    evaluated = list(
        await session.scalars(
            select(Proposal)
            .join(CampaignProject, CampaignProject.proposal_id == Proposal.id)
            .where(CampaignProject.campaign_id == campaign.id, Proposal.state == ProposalState.completed)
        )
    )
    await transition_many(
        session,
        [
            Move(p, ProposalState.evaluated, reason="年度评估结果确定", details={"award_run_id": str(run.id)})
            for p in evaluated
        ],
        Process("evaluation", principal.actor),
    )
    await record(
        session,
        principal.actor,
        "award_run.finalise",
        "award_run",
        run.id,
        after={"withdrawn": outputs["withdrawn"], "subsidy_fen": outputs["subsidies"]["awarded_fen"]},
        region_path=campaign.region_path,
    )
    return {
        "run": run,
        "withdrawn": outputs["withdrawn"][rules.PROJECT],
        "withdrawn_awards": outputs["withdrawn"],
        "subsidies": commitments,
    }


async def withdrawn_of(session: AsyncSession, run: AwardRun) -> rules.Withdrawn:
    """The awards an upheld objection withdrew, by kind."""
    out = rules.no_withdrawals()
    if run.notice_id is None:
        return out
    rows = await session.execute(
        select(NoticeItem.award_kind, NoticeItem.award_key).where(
            NoticeItem.notice_id == run.notice_id, NoticeItem.status == ItemStatus.removed
        )
    )
    for kind, key in rows.all():
        out[kind.value].add(key)
    return out


async def runs_of(session: AsyncSession, campaign_id: uuid.UUID) -> list[AwardRun]:
    """A campaign's award runs, first first."""
    return list(
        await session.scalars(select(AwardRun).where(AwardRun.campaign_id == campaign_id).order_by(AwardRun.number))
    )
