"""What voting rounds hold of their pilot's money: derived from the rounds and the ledger, never a balance of its own.

A round that is not closed or cancelled holds its whole budget, so two rounds can never promise the same
money. Closing releases what the round did not allocate; it keeps holding the ballot cost of each project it
selected until the ledger commits that project (confirmation after the notice, for the confirmed budget, which
may be lower). An upheld objection takes a project out and gives its money to the round's next projects in the
same transaction, so the freed money stays with the round; what they do not use is released. A cancelled round
holds nothing. Since every figure is computed from the rows that decide it, nothing can drift.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.money import yuan
from app.errors import Conflict
from app.funds import accounts
from app.voting.models import RoundProject, RoundStatus, VotingRound


@dataclass(frozen=True)
class RoundHold:
    """One round's claim on its pilot's uncommitted money."""

    round_id: uuid.UUID
    title: str
    status: RoundStatus
    held_fen: int


async def holds(session: AsyncSession, pilot_id: uuid.UUID, *,
                except_round: uuid.UUID | None = None) -> list[RoundHold]:
    """The rounds of the pilot that hold money (all but `except_round`), oldest first."""
    open_rounds = (select(VotingRound.id, VotingRound.title, VotingRound.status, VotingRound.budget_fen,
                          VotingRound.created_at)
                   .where(VotingRound.pilot_id == pilot_id, VotingRound.status == RoundStatus.scheduled))
    winners = (select(VotingRound.id, VotingRound.title, VotingRound.status, func.sum(RoundProject.cost_fen),
                      VotingRound.created_at)
               .join(RoundProject, RoundProject.round_id == VotingRound.id)
               .where(VotingRound.pilot_id == pilot_id, VotingRound.status == RoundStatus.closed,
                      RoundProject.selected.is_(True), ~accounts.has_commitment(RoundProject.proposal_id))
               .group_by(VotingRound.id, VotingRound.title, VotingRound.status, VotingRound.created_at))
    if except_round is not None:
        open_rounds = open_rounds.where(VotingRound.id != except_round)
        winners = winners.where(VotingRound.id != except_round)
    rows = [*(await session.execute(open_rounds)).all(), *(await session.execute(winners)).all()]
    return [RoundHold(round_id, title, RoundStatus(status), int(held))
            for round_id, title, status, held, _ in sorted(rows, key=lambda r: (r[4], str(r[0]))) if held]


async def held_fen(session: AsyncSession, pilot_id: uuid.UUID) -> int:
    """Everything the pilot's rounds hold together."""
    return sum(h.held_fen for h in await holds(session, pilot_id))


async def refuse_taking_held_money(session: AsyncSession, pilot_id: uuid.UUID, amount_fen: int, what: str) -> None:
    """Refuse a promise of money outside a round (a direct commitment, a budget rise) that would take money the
    pilot's voting rounds hold for residents' choices. Decided under the pilot's balance row lock, like a round's
    own budget, so a round set up at the same moment and this promise are decided one after the other."""
    await accounts.lock_balance(session, pilot_id)
    held = await held_fen(session, pilot_id)
    if not held:
        return  # nothing promised to a vote: the ledger's own guard decides
    free = max(0, await accounts.uncommitted_fen(session, pilot_id) - held)
    if amount_fen > free:
        raise Conflict(f"{what}需 {yuan(amount_fen)}，但试点未承诺资金中有 {yuan(held)} 已由居民投票轮次占用，"
                       f"可用 {yuan(free)}。The pilot's voting rounds hold that money.",
                       code="budget_reserved_by_rounds",
                       extra={"asked_fen": amount_fen, "reserved_by_rounds_fen": held, "unreserved_fen": free})
