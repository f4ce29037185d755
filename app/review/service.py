"""Expert review: forming a panel, the pitch session, conflict declarations, scores, and the close that ranks,
funds within the budget and moves each application to 入选 or 未入选 as a voting round's close does."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.service import Event, record
from app.auth.models import Role, User
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.evaluation import rules as evaluation_rules
from app.evaluation.models import Rubric, RubricVersion
from app.evaluation.rubric_service import criteria_of
from app.programmes.models import ProgrammeStatus
from app.programmes.service import pilot_context
from app.proposals.enums import ProposalKind, ProposalState
from app.proposals.lifecycle_service import Move, Process, transition_many
from app.proposals.models import Proposal
from app.regions.models import Region
from app.review import policy, rules
from app.review.models import PanelStatus, ReviewApplication, ReviewConflict, ReviewExpert, ReviewPanel, ReviewScore
from app.review.schemas import ConflictWrite, PanelCreate, PitchWrite, ReviewScoreWrite
from app.voting import reservations_service
from app.voting.models import RoundProject, RoundStatus, VotingRound

# Applications a panel may take: screened (初审通过) or shortlisted by a meeting, not yet selected or refused.
REVIEWABLE = (ProposalState.screened, ProposalState.shortlisted)
# As the award runs' default: from five scores of an application on, its highest and lowest are dropped.
TRIM_MIN_SCORES = 5


async def get_panel(
    session: AsyncSession, principal: Principal, panel_id: uuid.UUID, *, manage: bool = False, lock: str | None = None
) -> ReviewPanel:
    """The panel as the caller may read or run it; experts read only the panels they sit on."""
    panel = await get_or_404(
        session, ReviewPanel, panel_id, code="panel_not_found", detail="没有该评审委员会。", lock=lock
    )
    (policy.check_manage if manage else policy.check_read)(principal, panel.region_path)
    if principal.role == Role.evaluator and not await _sits_on(session, panel.id, principal.user_id):
        raise NotFound("没有该评审委员会。", code="panel_not_found")
    return panel


async def _sits_on(session: AsyncSession, panel_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    return user_id is not None and await session.get(ReviewExpert, (panel_id, user_id)) is not None


async def applications_of(session: AsyncSession, panel_id: uuid.UUID) -> list[ReviewApplication]:
    return list(
        await session.scalars(
            select(ReviewApplication).where(ReviewApplication.panel_id == panel_id).order_by(ReviewApplication.number)
        )
    )


async def expert_ids_of(session: AsyncSession, panel_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(ReviewExpert.user_id).where(ReviewExpert.panel_id == panel_id).order_by(ReviewExpert.user_id)
        )
    )


async def _applications(session: AsyncSession, body: PanelCreate, community_id: uuid.UUID) -> list[Proposal]:
    """The listed proposals, each a 公益微创投 application of the pilot's community awaiting selection; 422 else."""
    if len(set(body.proposal_ids)) != len(body.proposal_ids):
        raise Unprocessable("同一申请列出了两次。", code="proposal_listed_twice")
    found = {p.id: p for p in await session.scalars(select(Proposal).where(Proposal.id.in_(body.proposal_ids)))}
    on_panels = set(
        await session.scalars(
            select(ReviewApplication.proposal_id)
            .join(ReviewPanel, ReviewPanel.id == ReviewApplication.panel_id)
            .where(ReviewApplication.proposal_id.in_(body.proposal_ids), ReviewPanel.status == PanelStatus.open)
        )
    )
    unfit = [
        str(i)
        for i in body.proposal_ids
        if i not in found
        or found[i].kind != ProposalKind.venture
        or found[i].community_id != community_id
        or found[i].state not in REVIEWABLE
        or i in on_panels
    ]
    if unfit:
        raise Unprocessable(
            "评审只受理本试点社区已通过初审、尚未选定的公益微创投申请。",
            code="application_not_reviewable",
            extra={"proposal_ids": unfit},
        )
    return sorted(found.values(), key=lambda p: (p.submitted_at or p.created_at, str(p.id)))


async def _check_voted(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Under selection method "both" each application's standing weighs the residents' vote: 409 for an
    application no counted round has held."""
    voted = set(
        await session.scalars(
            select(col(RoundProject.proposal_id))
            .join(VotingRound, col(VotingRound.id) == col(RoundProject.round_id))
            .where(col(RoundProject.proposal_id).in_(ids), col(VotingRound.status) == RoundStatus.closed)
        )
    )
    unvoted = [str(i) for i in ids if i not in voted]
    if unvoted:
        raise Conflict(
            "本年度计划按居民投票与专家评审加权选取：这些申请尚未经居民投票计票，不能提交评审。",
            code="vote_not_held",
            extra={"proposal_ids": unvoted},
        )


async def _experts(session: AsyncSession, ids: list[uuid.UUID]) -> list[User]:
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    bad = [str(i) for i in ids if i not in users or users[i].role != Role.evaluator or not users[i].is_active]
    if bad or len(set(ids)) != len(ids):
        raise Unprocessable(
            "评审专家须为在册的评估专家账号，且不得重复。", code="not_an_evaluator", extra={"user_ids": bad}
        )
    return list(users.values())


async def create_panel(session: AsyncSession, principal: Principal, body: PanelCreate) -> ReviewPanel:
    """Form a panel; 409 when the programme selects by vote alone or is not open. The panel holds its budget of
    the pilot's uncommitted money from now on, like a voting round (app.voting.reservations_service): 409 when its
    rounds and other panels already hold that money."""
    ctx = await pilot_context(session, body.pilot_id)
    policy.check_manage(principal, ctx.pilot.region_path)
    if ctx.rules.selection.method == "vote":
        raise Conflict("本年度计划按居民投票选取项目，不组织专家评审。", code="selection_by_vote")
    if ctx.programme.status != ProgrammeStatus.open:
        raise Conflict("年度计划尚未开放或已结束。", code="programme_not_open")
    rubric = await session.get(Rubric, body.rubric_id)
    if rubric is None or rubric.district_id != ctx.programme.district_id:
        raise Unprocessable("评分细则不存在或不属于本区。", code="rubric_not_found")
    version = await session.scalar(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric.id, RubricVersion.version == rubric.latest_version
        )
    )
    # Under the pilot's balance row lock: a round or panel formed at the same moment waits and sees this one.
    await reservations_service.check_budget(session, ctx.pilot.id, body.budget_fen)
    proposals = await _applications(session, body, ctx.pilot.community_id)
    if ctx.rules.selection.method == "both":
        await _check_voted(session, [p.id for p in proposals])
    experts = await _experts(session, body.expert_ids)
    panel = ReviewPanel(
        programme_id=ctx.programme.id,
        pilot_id=ctx.pilot.id,
        community_id=ctx.pilot.community_id,
        region_path=ctx.pilot.region_path,
        title=body.title,
        rubric_version_id=version.id,
        budget_fen=body.budget_fen,
        created_by=principal.actor.id,
    )
    session.add(panel)
    await session.flush()
    session.add_all(
        [
            ReviewApplication(
                panel_id=panel.id,
                proposal_id=p.id,
                number=n,
                title=p.title,
                cost_fen=p.total_fen,
                applicant_organisation_id=p.proposer_organisation_id,
            )
            for n, p in enumerate(proposals, start=1)
        ]
    )
    session.add_all([ReviewExpert(panel_id=panel.id, user_id=u.id) for u in experts])
    await session.flush()
    await record(
        session,
        principal.actor,
        "review_panel.create",
        "review_panel",
        panel.id,
        after={
            "title": panel.title,
            "budget_fen": panel.budget_fen,
            "rubric_version_id": str(version.id),
            "proposals": [str(p.id) for p in proposals],
            "experts": sorted(str(u.id) for u in experts),
        },
        region_path=panel.region_path,
    )
    return panel


def _check_open(panel: ReviewPanel) -> None:
    if panel.status == PanelStatus.dissolved:
        raise Conflict("评审委员会已解散。", code="panel_dissolved")
    if panel.status != PanelStatus.open:
        raise Conflict("评审已结束。", code="panel_closed")


async def dissolve(session: AsyncSession, principal: Principal, panel_id: uuid.UUID, reason: str) -> ReviewPanel:
    """Call an open panel off: it holds no money from now on, its scores stay on record and its applications
    (still screened or shortlisted) may go before another panel. A closed panel's result stands: 409."""
    panel = await get_panel(session, principal, panel_id, manage=True, lock="update")
    _check_open(panel)
    panel.status, panel.status_reason = PanelStatus.dissolved, reason
    panel.closed_at, panel.closed_by = utcnow(), principal.actor.id
    await session.flush()
    await record(
        session,
        principal.actor,
        "review_panel.dissolve",
        "review_panel",
        panel.id,
        after={"reason": reason, "released_fen": panel.budget_fen},
        region_path=panel.region_path,
    )
    return panel


async def record_pitch(
    session: AsyncSession, principal: Principal, panel_id: uuid.UUID, body: PitchWrite
) -> ReviewPanel:
    """Record the pitch session (路演); presenters must name applications on the panel."""
    panel = await get_panel(session, principal, panel_id, manage=True, lock="update")
    _check_open(panel)
    on_panel = {a.proposal_id for a in await applications_of(session, panel.id)}
    unknown = [str(p.proposal_id) for p in body.presenters if p.proposal_id not in on_panel]
    if unknown:
        raise Unprocessable(
            "路演名单中有不在本次评审中的申请。", code="application_not_on_panel", extra={"proposal_ids": unknown}
        )
    panel.pitch_on, panel.pitch_place = body.held_on, body.place
    panel.pitch_presenters = [{"proposal_id": str(p.proposal_id), "presenter": p.presenter} for p in body.presenters]
    await session.flush()
    await record(
        session,
        principal.actor,
        "review_panel.pitch",
        "review_panel",
        panel.id,
        after={"held_on": body.held_on, "place": body.place, "presenters": panel.pitch_presenters},
        region_path=panel.region_path,
    )
    return panel


async def _expert_application(
    session: AsyncSession, principal: Principal, panel_id: uuid.UUID, proposal_id: uuid.UUID
) -> tuple[ReviewPanel, ReviewApplication]:
    panel = await get_panel(session, principal, panel_id)
    if not await _sits_on(session, panel.id, principal.user_id):
        raise Forbidden("您不是本评审委员会的专家。", code="not_on_panel")
    _check_open(panel)
    application = await session.get(ReviewApplication, (panel.id, proposal_id))
    if application is None:
        raise NotFound("本次评审没有该申请。", code="application_not_on_panel")
    return panel, application


async def declare_conflict(
    session: AsyncSession, principal: Principal, panel_id: uuid.UUID, proposal_id: uuid.UUID, body: ConflictWrite
) -> ReviewConflict:
    """The expert declares a link to the application: they may not score it, and a score given before is void."""
    panel, _ = await _expert_application(session, principal, panel_id, proposal_id)
    key = (panel.id, proposal_id, principal.user_id)
    conflict = await session.get(ReviewConflict, key)
    if conflict is None:
        conflict = ReviewConflict(
            panel_id=panel.id, proposal_id=proposal_id, user_id=principal.user_id, reason=body.reason
        )
        session.add(conflict)
    score = await session.get(ReviewScore, key)
    if score is not None:
        await session.delete(score)
    await session.flush()
    await record(
        session,
        principal.actor,
        "review.conflict_declared",
        "review_panel",
        panel.id,
        after={"proposal_id": str(proposal_id), "reason": body.reason, "score_voided": score is not None},
        region_path=panel.region_path,
    )
    return conflict


async def _conflict_reason(
    session: AsyncSession, principal: Principal, panel: ReviewPanel, application: ReviewApplication
) -> str | None:
    """Why the expert may not score the application: declared, or linked as the evaluation rules define."""
    if await session.get(ReviewConflict, (panel.id, application.proposal_id, principal.user_id)) is not None:
        return "declared"
    user = await session.get(User, principal.user_id)
    user_path = await session.scalar(select(Region.path).where(Region.id == user.region_id)) if user.region_id else None
    return evaluation_rules.conflict_of_interest(
        evaluation_rules.Party(user_path, user.organisation_id),
        evaluation_rules.ProjectFacts(panel.region_path, None, application.applicant_organisation_id),
    )


async def score(
    session: AsyncSession, principal: Principal, panel_id: uuid.UUID, proposal_id: uuid.UUID, body: ReviewScoreWrite
) -> ReviewScore:
    """Score an application on every criterion of the panel's rubric; scoring again replaces the score.
    409 conflict_of_interest when the expert declared or has a link to the applicant."""
    panel, application = await _expert_application(session, principal, panel_id, proposal_id)
    reason = await _conflict_reason(session, principal, panel, application)
    if reason is not None:
        raise Conflict(
            "您与该申请存在利害关系，须回避，不能为其评分。", code="conflict_of_interest", extra={"reason": reason}
        )
    criteria = criteria_of(await session.get(RubricVersion, panel.rubric_version_id))
    items = [evaluation_rules.ScoreItem(i.criterion, i.points, i.comment) for i in body.items]
    problem = evaluation_rules.score_problem(criteria, items, complete=True)
    if problem:
        raise Unprocessable(problem.message, code=problem.code, extra=problem.extra)
    stored = [
        {"criterion": i.criterion, "points": i.points, "comment": i.comment}
        for i in evaluation_rules.ordered(criteria, items)
    ]
    row = await session.get(ReviewScore, (panel.id, proposal_id, principal.user_id))
    if row is None:
        row = ReviewScore(panel_id=panel.id, proposal_id=proposal_id, user_id=principal.user_id, items=[], total=0)
        session.add(row)
    row.items, row.total, row.scored_at = stored, evaluation_rules.total_points(items), utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "review.score",
        "review_panel",
        panel.id,
        after={"proposal_id": str(proposal_id), "total": row.total},
        region_path=panel.region_path,
    )
    return row


async def _vote_shares(session: AsyncSession, proposal_ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Each proposal's share of the ballots of the closed round that held it (selection method "both")."""
    rows = await session.execute(
        select(RoundProject.proposal_id, RoundProject.votes, VotingRound.ballots_counted)
        .join(VotingRound, VotingRound.id == RoundProject.round_id)
        .where(RoundProject.proposal_id.in_(proposal_ids), VotingRound.status == RoundStatus.closed)
    )
    return {pid: (votes or 0) / counted for pid, votes, counted in rows if counted}


async def close(session: AsyncSession, principal: Principal, panel_id: uuid.UUID) -> ReviewPanel:
    """Rank by the trimmed mean of the experts (weighed with the vote under "both"), fund greedily within the
    budget, store the result and move each application to 入选 or 未入选 in one audited batch."""
    panel = await get_panel(session, principal, panel_id, manage=True, lock="update")
    _check_open(panel)
    ctx = await pilot_context(session, panel.pilot_id)
    selection = ctx.rules.selection
    proposals = {
        p.id: p
        for p in await session.scalars(
            select(Proposal)
            .join(ReviewApplication, ReviewApplication.proposal_id == Proposal.id)
            .where(ReviewApplication.panel_id == panel.id)
        )
    }
    # An application withdrawn since the panel formed takes no part: it is neither ranked nor moved.
    applications = [a for a in await applications_of(session, panel.id) if proposals[a.proposal_id].state in REVIEWABLE]
    by_id = {a.proposal_id: a for a in applications}
    shares = await _vote_shares(session, list(by_id)) if selection.method == "both" else {}
    scores = (
        await session.execute(
            select(ReviewScore.proposal_id, ReviewScore.user_id, ReviewScore.total).where(
                ReviewScore.panel_id == panel.id, ReviewScore.proposal_id.in_(list(by_id))
            )
        )
    ).all()
    if not scores:
        raise Conflict("尚无专家评分，不能结束评审。", code="no_scores")
    outcome = rules.standings(
        [rules.Application(a.number, a.cost_fen, shares.get(a.proposal_id, 0.0)) for a in applications],
        [rules.ExpertScore(by_id[pid].number, str(uid), total) for pid, uid, total in scores],
        budget_fen=panel.budget_fen,
        review_share=selection.review_share,
        trim_extremes=ctx.rules.evaluation.trim_extremes,
        trim_min_scores=TRIM_MIN_SCORES,
    )
    by_number = {a.number: a for a in applications}
    for s in outcome:
        a = by_number[s.number]
        a.review_mean, a.standing, a.selected = s.review_mean, s.standing, s.selected
    now = utcnow()
    panel.status, panel.closed_at, panel.closed_by = PanelStatus.closed, now, principal.actor.id
    panel.result = {
        "method": selection.method,
        "review_weight_pct": int(selection.review_share * 100),
        "budget_fen": panel.budget_fen,
        "trim_extremes": ctx.rules.evaluation.trim_extremes,
        "trim_min_scores": TRIM_MIN_SCORES,
        "cost_fen": sum(by_number[s.number].cost_fen for s in outcome if s.selected),
        "ranking": [
            {
                "number": s.number,
                "review_mean": s.review_mean,
                "scores": s.scores,
                "standing": s.standing,
                "selected": s.selected,
            }
            for s in outcome
        ],
    }
    await session.flush()
    closed = Event(
        "review_panel.close",
        "review_panel",
        panel.id,
        region_path=panel.region_path,
        after={
            "selected": sorted(s.number for s in outcome if s.selected),
            "method": selection.method,
            "cost_fen": panel.result["cost_fen"],
        },
    )
    await _move_proposals(session, principal, panel, applications, list(proposals.values()), closed)
    return panel


async def _move_proposals(
    session: AsyncSession,
    principal: Principal,
    panel: ReviewPanel,
    applications: list[ReviewApplication],
    proposals: list[Proposal],
    closed: Event,
) -> None:
    by_id = {a.proposal_id: a for a in applications}
    moves = [
        Move(
            p,
            ProposalState.selected if by_id[p.id].selected else ProposalState.not_selected,
            "专家评审结果",
            {"panel_id": str(panel.id), "number": by_id[p.id].number, "standing": by_id[p.id].standing},
        )
        for p in proposals
        if p.id in by_id
    ]
    await transition_many(session, moves, Process("review", principal.actor), also=[closed])


async def view(session: AsyncSession, panel: ReviewPanel) -> dict[str, Any]:
    """The panel with its experts and applications (outcomes once closed)."""
    return {
        **panel.model_dump(),
        "expert_ids": await expert_ids_of(session, panel.id),
        "applications": [a.model_dump() for a in await applications_of(session, panel.id)],
    }
