"""Voting rounds: set up on a pilot's shortlist, changed only while nobody has voted, called off, read."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.funds import accounts_service
from app.notifications import outbox
from app.programmes.models import ProgrammeStatus
from app.programmes.ruleset import POINT_BALLOTS, BallotRule
from app.programmes.service import pilot_context
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Move, Process, transition_many
from app.proposals.models import Proposal
from app.voting import policy, reservations_service, rules
from app.voting.models import Ballot, RoundProject, RoundStatus, VoterRollEntry, VotingRound
from app.voting.schemas import RoundCreate, RoundUpdate


def ballot_rule(rnd: VotingRound) -> BallotRule:
    """The ballot rule the round was set up with."""
    return BallotRule.model_validate(rnd.ballot_rule)


def phase_of(rnd: VotingRound, now: datetime | None = None) -> str:
    """The round's phase now (upcoming, open, ended, closed, cancelled)."""
    return rules.phase(rnd.status, rnd.opens_at, rnd.closes_at, now or utcnow())


def snapshot(rnd: VotingRound) -> dict[str, Any]:
    """The audited state of a round (never its counts before close)."""
    return {
        "title": rnd.title,
        "opens_at": rnd.opens_at,
        "closes_at": rnd.closes_at,
        "budget_fen": rnd.budget_fen,
        "incompatible_groups": rnd.incompatible_groups,
        "status": rnd.status,
        "ballot_rule": rnd.ballot_rule,
    }


async def get_round(session: AsyncSession, round_id: uuid.UUID, *, lock: str | None = None) -> VotingRound:
    """The round, or 404; `lock` "share" or "update" takes its row lock on PostgreSQL (orders casts and close)."""
    return await get_or_404(
        session,
        VotingRound,
        round_id,
        code="round_not_found",
        detail="No voting round with that id.",
        lock=lock,
        fresh=True,
    )


async def round_for(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID, *, organise: bool, lock: str | None = None
) -> VotingRound:
    """The round as the caller may see (404 outside their region) or run it (403 for readers)."""
    rnd = await get_round(session, round_id, lock=lock)
    policy.check(principal, rnd.region_path, "round", organise=organise)
    return rnd


async def projects_of(session: AsyncSession, round_id: uuid.UUID) -> list[RoundProject]:
    """The round's projects in ballot order."""
    return list(
        await session.scalars(
            select(RoundProject).where(RoundProject.round_id == round_id).order_by(RoundProject.number)
        )
    )


async def has_ballots(session: AsyncSession, round_id: uuid.UUID) -> bool:
    """Whether anyone has voted in the round."""
    return bool(await session.scalar(select(exists().where(Ballot.round_id == round_id))))


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise Unprocessable("closes_at must be after opens_at.", code="window_invalid")
    if closes_at <= utcnow():
        raise Unprocessable("closes_at is in the past.", code="window_in_past")


async def _shortlist(session: AsyncSession, ids: Sequence[uuid.UUID], pilot) -> list[Proposal]:
    """The proposals, checked: they exist, belong to the pilot's community and year, are shortlisted, cost money."""
    if len(set(ids)) != len(ids):
        raise Unprocessable("A proposal is listed twice.", code="proposal_listed_twice")
    found = {p.id: p for p in await session.scalars(select(Proposal).where(Proposal.id.in_(list(ids))))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise Unprocessable("Some proposals do not exist.", code="proposal_not_found", extra={"proposal_ids": missing})
    elsewhere = [
        str(p.id)
        for p in found.values()
        if p.community_id != pilot.community_id or p.programme_id != pilot.programme_id
    ]
    if elsewhere:
        raise Unprocessable(
            "Some proposals are not of this pilot's community and programme.",
            code="proposal_not_in_pilot",
            extra={"proposal_ids": elsewhere},
        )
    not_shortlisted = [
        {"id": str(p.id), "state": p.state.value} for p in found.values() if p.state != ProposalState.shortlisted
    ]
    if not_shortlisted:
        raise Conflict(
            "Only shortlisted proposals (入围) go to a resident vote.",
            code="proposal_not_shortlisted",
            extra={"proposals": not_shortlisted},
        )
    free = [str(p.id) for p in found.values() if p.total_fen <= 0]
    if free:
        raise Unprocessable(
            "Proposals without a budget are not decided by a screening vote.",
            code="proposal_without_budget",
            extra={"proposal_ids": free},
        )
    # Ballot numbers follow submission order, which is also the default rule's last tie-break.
    return sorted(found.values(), key=lambda p: (p.submitted_at or p.created_at, str(p.id)))


def _groups(groups: list[list[uuid.UUID]], number_of: dict[uuid.UUID, int], rule: BallotRule) -> list[list[int]]:
    if groups and rule.ballot_type in POINT_BALLOTS:
        # Greedy by points has no notion of incompatible projects: refused rather than ignored.
        raise Unprocessable(
            "积分或排序投票的轮次不支持互斥项目组。Incompatible groups are not supported with "
            f"{rule.ballot_type} ballots.",
            code="groups_invalid",
        )
    unknown = sorted({str(i) for g in groups for i in g if i not in number_of})
    if unknown:
        raise Unprocessable(
            "Incompatible groups name proposals that are not in the round.",
            code="groups_invalid",
            extra={"proposal_ids": unknown},
        )
    numbered = [sorted(number_of[i] for i in g) for g in groups]
    problem = rules.groups_problem(numbered, number_of.values())
    if problem:
        raise Unprocessable(f"Incompatible groups: {problem}.", code="groups_invalid")
    return sorted(numbered)


async def _budget(session: AsyncSession, pilot_id: uuid.UUID, asked: int | None, rnd: VotingRound | None = None) -> int:
    """The budget a round may hold: at most the pilot's uncommitted money less what its other rounds and its
    review panels hold (app.voting.reservations_service.check_budget, under the pilot's balance row lock)."""
    return await reservations_service.check_budget(session, pilot_id, asked, except_round=rnd.id if rnd else None)


async def create_round(
    session: AsyncSession, principal: Principal, pilot_id: uuid.UUID, body: RoundCreate
) -> VotingRound:
    """Set up the round; its proposals move to 居民投票中 (in_vote) and the programme's ballot rule is copied."""
    ctx = await pilot_context(session, pilot_id)
    policy.check_organise(principal, ctx.pilot.region_path, "pilot")
    if ctx.programme.status != ProgrammeStatus.open:
        raise Conflict("The programme is not open.", code="programme_not_open")
    if ctx.rules.selection.method == "review":
        # The programme's rules say the experts select: a resident vote would decide nothing it may count.
        raise Conflict("本年度计划由专家评审选取项目，不组织居民投票。", code="selection_by_review")
    _check_window(body.opens_at, body.closes_at)
    # Locked before the shortlist is read: a round set up at the same time on this pilot waits, then sees both
    # the money and the proposals this one took.
    await accounts_service.lock_balance(session, ctx.pilot.id)
    proposals = await _shortlist(session, body.proposal_ids, ctx.pilot)
    number_of = {p.id: n for n, p in enumerate(proposals, start=1)}
    groups = _groups(body.incompatible_groups, number_of, ctx.rules.ballot)
    budget = await _budget(session, ctx.pilot.id, body.budget_fen)
    rnd = VotingRound(
        pilot_id=ctx.pilot.id,
        programme_id=ctx.programme.id,
        community_id=ctx.pilot.community_id,
        region_path=ctx.pilot.region_path,
        title=body.title,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        budget_fen=budget,
        ballot_rule=ctx.rules.ballot.model_dump(mode="json"),
        incompatible_groups=groups,
        created_by=principal.actor.id,
    )
    session.add(rnd)
    await session.flush()
    session.add_all(
        [
            RoundProject(round_id=rnd.id, proposal_id=p.id, number=number_of[p.id], title=p.title, cost_fen=p.total_fen)
            for p in proposals
        ]
    )
    await session.flush()
    await transition_many(
        session,
        [Move(p, ProposalState.in_vote, None, {"round_id": str(rnd.id)}) for p in proposals],
        Process("voting", principal.actor),
    )
    outbox.round_scheduled(session, rnd)
    await record(
        session,
        principal.actor,
        "voting_round.create",
        "voting_round",
        rnd.id,
        after={**snapshot(rnd), "projects": {str(p.id): number_of[p.id] for p in proposals}},
        region_path=rnd.region_path,
    )
    return rnd


async def _check_unvoted(session: AsyncSession, rnd: VotingRound) -> None:
    if rnd.status != RoundStatus.scheduled:
        raise Conflict(f"The round is {rnd.status.value}.", code=f"round_{rnd.status.value}")
    if await has_ballots(session, rnd.id):
        raise Conflict("Residents have voted in this round; its setup can no longer change.", code="round_has_ballots")


async def update_round(session: AsyncSession, principal: Principal, rnd: VotingRound, body: RoundUpdate) -> VotingRound:
    """Change title, window, budget or incompatible groups while nobody has voted (round row locked)."""
    await _check_unvoted(session, rnd)
    before = snapshot(rnd)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("title") is not None:
        rnd.title = changes["title"]
    opens_at, closes_at = body.opens_at or rnd.opens_at, body.closes_at or rnd.closes_at
    if "opens_at" in changes or "closes_at" in changes:
        _check_window(opens_at, closes_at)
        rnd.opens_at, rnd.closes_at = opens_at, closes_at
    if body.budget_fen is not None and body.budget_fen > rnd.budget_fen:
        # Only a raise needs money; lowering a budget releases it, even when the pilot's funds have shrunk.
        rnd.budget_fen = await _budget(session, rnd.pilot_id, body.budget_fen, rnd)
    elif body.budget_fen is not None:
        rnd.budget_fen = body.budget_fen
    if body.incompatible_groups is not None:
        number_of = {p.proposal_id: p.number for p in await projects_of(session, rnd.id)}
        rnd.incompatible_groups = _groups(body.incompatible_groups, number_of, ballot_rule(rnd))
    rnd.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "voting_round.update",
        "voting_round",
        rnd.id,
        before=before,
        after=snapshot(rnd),
        region_path=rnd.region_path,
    )
    return rnd


async def cancel_round(session: AsyncSession, principal: Principal, rnd: VotingRound, reason: str) -> VotingRound:
    """Call the round off before anyone voted; its proposals go back to the shortlist and its budget is released
    (a cancelled round holds nothing, see reservations)."""
    await _check_unvoted(session, rnd)
    before = snapshot(rnd)
    rnd.status, rnd.status_reason, rnd.updated_at = RoundStatus.cancelled, reason, utcnow()
    await session.flush()
    ids = [p.proposal_id for p in await projects_of(session, rnd.id)]
    proposals = await session.scalars(select(Proposal).where(Proposal.id.in_(ids)))
    await transition_many(
        session,
        [Move(p, ProposalState.shortlisted, "投票轮次取消", {"round_id": str(rnd.id)}) for p in proposals],
        Process("voting", principal.actor),
    )
    await record(
        session,
        principal.actor,
        "voting_round.cancel",
        "voting_round",
        rnd.id,
        before=before,
        after={**snapshot(rnd), "reason": reason},
        region_path=rnd.region_path,
    )
    return rnd


def list_statement(
    principal: Principal | None,
    *,
    pilot_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    include_cancelled: bool = True,
) -> Select:
    """Rounds in the caller's region (all rounds for the public list, which passes no principal)."""
    stmt = select(VotingRound)
    if principal is not None:
        stmt = restrict_to_region(stmt, principal, VotingRound.region_path)
    if pilot_id:
        stmt = stmt.where(VotingRound.pilot_id == pilot_id)
    if community_id:
        stmt = stmt.where(VotingRound.community_id == community_id)
    if not include_cancelled:
        stmt = stmt.where(VotingRound.status != RoundStatus.cancelled)
    return stmt.order_by(VotingRound.closes_at.desc(), VotingRound.id)


_ROUND, _ON_BALLOT, _ROLL = VotingRound.__table__, RoundProject.__table__, VoterRollEntry.__table__
# A resident's rounds: not cancelled, of every community whose roll holds their login phone, latest closing
# first (ties by id), at most `limit`; and the projects of those rounds, in one statement rather than one per round.
_VOTERS_COMMUNITIES = select(_ROLL.c.community_id).where(
    _ROLL.c.phone_digest == bindparam("digest"), _ROLL.c.removed_at.is_(None)
)
_VOTERS_ROUNDS = (
    select(_ROUND)
    .where(_ROUND.c.community_id.in_(_VOTERS_COMMUNITIES), _ROUND.c.status != RoundStatus.cancelled)
    .order_by(_ROUND.c.closes_at.desc(), _ROUND.c.id)
    .limit(bindparam("limit"))
)
_PROJECTS_OF_VOTERS_ROUNDS = (
    select(_ON_BALLOT)
    .where(_ON_BALLOT.c.round_id.in_(_VOTERS_ROUNDS.with_only_columns(_ROUND.c.id)))
    .order_by(_ON_BALLOT.c.round_id, _ON_BALLOT.c.number)
)


async def rounds_for_voter_on(conn: Any, phone_digest: str | None, limit: int = 50) -> list[tuple[Any, list[Any]]]:
    """Each round (not cancelled) of every community whose roll holds this login phone, latest closing first,
    with its projects in ballot order; `conn` runs Core statements (a session's connection, or the fast lane's
    executor, app.common.compiled)."""
    if not phone_digest:
        return []
    params = {"digest": phone_digest, "limit": limit}
    rounds = (await conn.execute(_VOTERS_ROUNDS, params)).all()
    if not rounds:
        return []
    projects: dict[uuid.UUID, list[Any]] = {rnd.id: [] for rnd in rounds}
    for project in (await conn.execute(_PROJECTS_OF_VOTERS_ROUNDS, params)).all():
        if project.round_id in projects:  # a round that entered the first 50 between the two reads is not shown
            projects[project.round_id].append(project)
    return [(rnd, projects[rnd.id]) for rnd in rounds]
