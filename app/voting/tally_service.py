"""Closing a round: freeze, count, allocate with the programme's rule, store the explained result, move proposals."""

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.errors import Conflict
from app.proposals.enums import ProposalState
from app.proposals.lifecycle import Process, transition
from app.proposals.models import Proposal
from app.voting import ballots_service, rounds_service, rules
from app.voting.models import RoundProject, RoundStatus, VotingRound
from app.voting.rules import Phase, TallyInput


def tally_input(rnd: VotingRound, projects: list[RoundProject], profile: dict[int, int]) -> TallyInput:
    """The plain data the allocation of this round depends on."""
    return TallyInput(budget_fen=rnd.budget_fen, costs={p.number: p.cost_fen for p in projects}, profile=profile,
                      rule=rounds_service.ballot_rule(rnd),
                      incompatible_groups=tuple(tuple(g) for g in rnd.incompatible_groups))


def _check_closable(rnd: VotingRound) -> None:
    phase = rounds_service.phase_of(rnd)
    if phase == Phase.ended:
        return
    if phase in (Phase.open, Phase.upcoming):
        raise Conflict(f"The round is still {phase}; it can be closed from {rnd.closes_at.isoformat()}.",
                       code="round_still_open", extra={"closes_at": rnd.closes_at.isoformat()})
    raise Conflict(f"The round is already {phase}.", code=f"round_{phase}")


async def close_round(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> VotingRound:
    """Count the ballots and allocate; the round row is locked, so ballots in flight land first and no more follow."""
    rnd = await rounds_service.round_for(session, principal, round_id, organise=True, lock="update")
    _check_closable(rnd)
    projects = await rounds_service.projects_of(session, rnd.id)
    profile = await ballots_service.profile_of(session, rnd.id)
    tally = tally_input(rnd, projects, profile)
    result = rules.run_allocation(tally)
    votes = rules.vote_counts(tally.costs, profile)
    selected = {int(n) for n in result.selected}
    now = utcnow()
    rnd.status, rnd.closed_at, rnd.closed_by, rnd.updated_at = RoundStatus.closed, now, principal.actor.id, now
    rnd.ballots_counted, rnd.result, rnd.inputs_digest = sum(profile.values()), result.to_dict(), tally.digest()
    for project in projects:
        await session.execute(update(RoundProject).where(RoundProject.round_id == rnd.id,
                                                         RoundProject.proposal_id == project.proposal_id)
                              .values(votes=votes[project.number], selected=project.number in selected))
    await session.flush()
    await _move_proposals(session, principal, rnd, projects, selected, votes)
    await record(session, principal.actor, "voting_round.close", "voting_round", rnd.id,
                 after={"ballots_counted": rnd.ballots_counted, "inputs_digest": rnd.inputs_digest,
                        "rule": result.rule, "tie_break": result.tie_break, "selected": sorted(selected),
                        "cost_fen": result.cost},
                 region_path=rnd.region_path)
    return rnd


async def _move_proposals(session: AsyncSession, principal: Principal, rnd: VotingRound, projects: list[RoundProject],
                          selected: set[int], votes: dict[int, int]) -> None:
    """入选 or 未入选 for each proposal, with its votes and the round in the audit event."""
    process = Process("voting", principal.actor)
    number_of = {p.proposal_id: p.number for p in projects}
    proposals = await session.scalars(select(Proposal).where(Proposal.id.in_(list(number_of))))
    for proposal in proposals:
        number = number_of[proposal.id]
        target = ProposalState.selected if number in selected else ProposalState.not_selected
        await transition(session, proposal, target, process, reason=f"居民投票 {votes[number]} 票",
                         details={"round_id": str(rnd.id), "number": number, "votes": votes[number]})


def result_view(rnd: VotingRound, projects: list[RoundProject]) -> dict[str, Any]:
    """A closed round's result; 409 while the round is not closed (counts stay hidden until then)."""
    if rnd.status != RoundStatus.closed:
        raise Conflict("Results are published when the round is closed and counted.", code="round_not_closed")
    return {"round_id": rnd.id, "status": rnd.status, "budget_fen": rnd.budget_fen,
            "ballots_counted": rnd.ballots_counted, "inputs_digest": rnd.inputs_digest, "allocation": rnd.result,
            "projects": projects}
