"""Closing a round: freeze, count, allocate with the programme's rule, store the explained result, move proposals."""

import uuid
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event
from app.auth.principal import Principal
from app.common.models import utcnow
from app.core.errors import Conflict
from app.programmes.models import Programme
from app.programmes.ruleset import POINT_BALLOTS
from app.programmes.service import programme_rules
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import MoveById, Process, transition_from
from app.regions.models import Region
from app.voting import ballots_service, pb_export, rounds_service, rules
from app.voting.fairness import round_fairness
from app.voting.models import Ballot, RoundProject, RoundStatus, VotingRound
from app.voting.rules import Phase, TallyInput


def tally_input(
    rnd: VotingRound,
    projects: list[RoundProject],
    profile: dict[int, int],
    points_profile: dict[tuple[int, ...], int] | None = None,
) -> TallyInput:
    """The plain data the allocation of this round depends on."""
    return TallyInput(
        budget_fen=rnd.budget_fen,
        costs={p.number: p.cost_fen for p in projects},
        profile=profile,
        rule=rounds_service.ballot_rule(rnd),
        incompatible_groups=tuple(tuple(g) for g in rnd.incompatible_groups),
        points_profile=points_profile or {},
    )


def _check_closable(rnd: VotingRound) -> None:
    phase = rounds_service.phase_of(rnd)
    if phase == Phase.ended:
        return
    if phase in (Phase.open, Phase.upcoming):
        raise Conflict(
            f"The round is still {phase}; it can be closed from {rnd.closes_at.isoformat()}.",
            code="round_still_open",
            extra={"closes_at": rnd.closes_at.isoformat()},
        )
    raise Conflict(f"The round is already {phase}.", code=f"round_{phase}")


async def close_round(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> VotingRound:
    """Count the ballots and allocate; the round row is locked, so ballots in flight land first and no more follow.
    Then cut every link between voters and ballots, for good (ballots_service.cut_voter_links)."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=True, lock="update")
    _check_closable(rnd)
    projects = await rounds_service.projects_of(session, rnd.id)
    profile = await ballots_service.profile_of(session, rnd.id)
    by_points = rounds_service.ballot_rule(rnd).ballot_type in POINT_BALLOTS
    points = await ballots_service.points_profile_of(session, rnd.id) if by_points else None
    tally = tally_input(rnd, projects, profile, points)
    result = rules.run_allocation(tally)
    # A cumulative or ranked round's "votes" are its points, which is what ranked the projects.
    votes = (
        rules.point_totals(tally.costs, tally.points_profile, tally.rule)
        if by_points
        else rules.vote_counts(tally.costs, profile)
    )
    # Under selection method "both" the vote is one part of the experts' standing (app.review): the round
    # funds nothing itself, holds no money once closed, and its projects go back to 入围 for the review panel.
    programme = await session.get(Programme, rnd.programme_id)
    advisory = programme is not None and programme_rules(programme).selection.method == "both"
    selected = set() if advisory else {int(n) for n in result.selected}
    now = utcnow()
    rnd.status, rnd.closed_at, rnd.closed_by, rnd.updated_at = RoundStatus.closed, now, principal.actor.id, now
    # The fairness audit is stored with the result, so staff see it at the close and the public with the result.
    stored = {**result.to_dict(), "fairness": round_fairness(tally, result)}
    if advisory:
        stored["advisory"] = True
    rnd.ballots_counted, rnd.result, rnd.inputs_digest = sum(profile.values()), stored, tally.digest()
    table = RoundProject.__table__
    await session.execute(  # one executemany, not a statement per project
        update(table)
        .where(table.c.round_id == bindparam("b_round"), table.c.proposal_id == bindparam("b_proposal"))
        .values(votes=bindparam("b_votes"), selected=bindparam("b_selected")),
        [
            {
                "b_round": rnd.id,
                "b_proposal": p.proposal_id,
                "b_votes": votes[p.number],
                "b_selected": p.number in selected,
            }
            for p in projects
        ],
    )
    await session.flush()
    await ballots_service.cut_voter_links(session, rnd.id)
    closed = Event(
        "voting_round.close",
        "voting_round",
        rnd.id,
        region_path=rnd.region_path,
        after={
            "ballots_counted": rnd.ballots_counted,
            "inputs_digest": rnd.inputs_digest,
            "rule": result.rule,
            "tie_break": result.tie_break,
            "selected": sorted(selected),
            "cost_fen": result.cost,
        },
    )
    await _move_proposals(session, principal, rnd, projects, selected, votes, closed, advisory)
    return rnd


async def _move_proposals(
    session: AsyncSession,
    principal: Principal,
    rnd: VotingRound,
    projects: list[RoundProject],
    selected: set[int],
    votes: dict[int, int],
    closed: Event,
    advisory: bool = False,
) -> None:
    """入选 or 未入选 for each proposal (in_vote while its round was open), with its votes; back to 入围 when the
    vote only feeds the expert review (advisory). The close's own event joins the same audit batch."""

    def target(number: int) -> ProposalState:
        if advisory:
            return ProposalState.shortlisted
        return ProposalState.selected if number in selected else ProposalState.not_selected

    moves = [
        MoveById(
            p.proposal_id, target(p.number), {"round_id": str(rnd.id), "number": p.number, "votes": votes[p.number]}
        )
        for p in sorted(projects, key=lambda p: p.number)
    ]
    await transition_from(
        session,
        ProposalState.in_vote,
        moves,
        Process("voting", principal.actor),
        "居民投票结果计入专家评审" if advisory else "居民投票结果",
        also=[closed],
    )


def result_view(rnd: VotingRound, projects: list[RoundProject]) -> dict[str, Any]:
    """A closed round's result; 409 while the round is not closed (counts stay hidden until then)."""
    if rnd.status != RoundStatus.closed:
        raise Conflict("Results are published when the round is closed and counted.", code="round_not_closed")
    return {
        "round_id": rnd.id,
        "status": rnd.status,
        "budget_fen": rnd.budget_fen,
        "ballots_counted": rnd.ballots_counted,
        "inputs_digest": rnd.inputs_digest,
        "allocation": rnd.result,
        "projects": projects,
    }


async def recount_file(session: AsyncSession, rnd: VotingRound) -> str:
    """A closed round's counted ballots as pabulib text, each under the id the close gave it (which appears nowhere
    else: its voter finds it through their receipt code); 409 before the count."""
    projects = await rounds_service.projects_of(session, rnd.id)
    result_view(rnd, projects)  # 409 round_not_closed until counted
    community = await session.get(Region, rnd.community_id)
    ballots = (
        await session.execute(select(Ballot.id, Ballot.choices).where(Ballot.round_id == rnd.id).order_by(Ballot.id))
    ).all()
    if not ballots and rnd.ballots_counted:
        # Its year was detached (app/common/partitions.py): a file without the counted ballots would mislead.
        raise Conflict(
            "这一年度的选票已归档，不在在线数据库中。The ballots of this round's year have been archived "
            "out of the live database; ask the district for the archived copy.",
            code="ballots_archived",
        )
    return pb_export.round_file(
        round_id=str(rnd.id),
        title=rnd.title,
        community=community.name if community else "",
        opens_at=rnd.opens_at,
        closes_at=rnd.closes_at,
        budget_fen=rnd.budget_fen,
        rule=rounds_service.ballot_rule(rnd),
        incompatible_groups=rnd.incompatible_groups,
        projects=[(p.number, p.title, p.cost_fen, p.votes, p.selected) for p in projects],
        ballots=[(str(ballot_id), choices) for ballot_id, choices in ballots],
    )
