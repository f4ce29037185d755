"""Shaping rounds for responses: the phase is computed, and counts appear only once the round is closed."""

from typing import Any

from app.voting.ballots_service import CastResult
from app.voting.models import RoundProject, RoundStatus, VotingRound
from app.voting.rounds_service import phase_of
from app.voting.schemas import BallotReceipt


def round_view(rnd: VotingRound, projects: list[RoundProject]) -> dict[str, Any]:
    """The round with its projects; votes and outcome stay hidden (None) until it is closed."""
    closed = rnd.status == RoundStatus.closed
    return {
        "id": rnd.id,
        "pilot_id": rnd.pilot_id,
        "programme_id": rnd.programme_id,
        "community_id": rnd.community_id,
        "title": rnd.title,
        "opens_at": rnd.opens_at,
        "closes_at": rnd.closes_at,
        "phase": phase_of(rnd),
        "status_reason": rnd.status_reason,
        "budget_fen": rnd.budget_fen,
        "ballot_rule": rnd.ballot_rule,
        "incompatible_groups": rnd.incompatible_groups,
        "projects": [
            {
                "number": p.number,
                "proposal_id": p.proposal_id,
                "title": p.title,
                "cost_fen": p.cost_fen,
                "votes": p.votes if closed else None,
                "selected": p.selected if closed else None,
            }
            for p in projects
        ],
        "ballots_counted": rnd.ballots_counted if closed else None,
        "inputs_digest": rnd.inputs_digest if closed else None,
        "closed_at": rnd.closed_at,
    }


def receipt(cast: CastResult) -> BallotReceipt:
    """The answer to a cast: the stored ballot and its one-time receipt code."""
    b, m = cast.ballot, cast.mark
    return BallotReceipt(
        round_id=b.round_id,
        ballot_id=b.id,
        channel=m.channel,
        version=m.casts,
        choices=b.choices,
        cast_at=m.last_cast_at,
        receipt_code=cast.receipt_code,
    )
