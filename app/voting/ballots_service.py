"""Casting ballots online and on paper, the voter's own view, and receipt checks.

A cast holds a share lock on the round row (PostgreSQL), so closing (which takes the update lock)
waits for casts in flight and counts exactly the ballots that were acknowledged. The first ballot of
a voter is one INSERT ... ON CONFLICT DO NOTHING under the (round, voter) unique constraint; a change
locks that row, moves the old version to history and updates it, so concurrent casts by one voter
leave one current ballot and a consistent history.
"""

import base64
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.upsert import insert_for
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.programmes.ruleset import BallotRule
from app.voting import roll_service, rounds_service, rules
from app.voting.models import Ballot, BallotChannel, BallotHistory, RoundStatus, VoterRollEntry, VotingRound
from app.voting.rules import Phase


@dataclass(frozen=True)
class CastResult:
    """The stored ballot and the receipt code (returned once, never stored)."""

    ballot: Ballot
    receipt_code: str


def new_receipt_code() -> str:
    """80 random bits as 16 base32 characters in groups of four (readable aloud, no 0/1 confusion)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _check_open_for(rnd: VotingRound, channel: BallotChannel) -> None:
    phase = rounds_service.phase_of(rnd)
    # Paper ballots cast in person may be entered after the window, until the round is counted.
    allowed = {Phase.open} if channel == BallotChannel.online else {Phase.open, Phase.ended}
    if phase in allowed:
        return
    if phase == Phase.upcoming:
        raise Conflict(f"Voting opens at {rnd.opens_at.isoformat()}.", code="round_not_open",
                       extra={"opens_at": rnd.opens_at.isoformat()})
    if phase == Phase.cancelled:
        raise Conflict("This round was cancelled.", code="round_cancelled")
    raise Conflict("Voting in this round has closed.", code="round_closed",
                   extra={"closes_at": rnd.closes_at.isoformat()})


async def _choices(session: AsyncSession, rnd: VotingRound, rule: BallotRule, choices: list[int]) -> list[int]:
    costs = {p.number: p.cost_fen for p in await rounds_service.projects_of(session, rnd.id)}
    problem = rules.ballot_problem(rule, choices, costs, rnd.budget_fen)
    if problem:
        raise Unprocessable(problem.message, code=problem.code)
    return sorted(choices)


def _refuse_existing(existing: Ballot, entry: VoterRollEntry, channel: BallotChannel) -> None:
    """Why a voter who already has a ballot may not cast this one (None: they may replace their own)."""
    if existing.roll_entry_id != entry.id:
        raise Conflict("Someone in this household has already voted (一户一票).", code="household_already_voted")
    if existing.channel == BallotChannel.paper:
        raise Conflict("This resident voted on paper; they cannot vote again.", code="voted_on_paper")
    if channel == BallotChannel.paper:
        raise Conflict("This resident already voted online; a paper ballot cannot be added.", code="voted_online")


async def _store(session: AsyncSession, rnd: VotingRound, rule: BallotRule, entry: VoterRollEntry,
                 channel: BallotChannel, choices: list[int], cast_by: str | None,
                 sheet_ref: str | None) -> tuple[Ballot, str, int | None]:
    """Insert the voter's first ballot or replace their current one; returns it, its receipt and the old version."""
    key = rules.voter_key(rule, str(entry.id), entry.household)
    code, now = new_receipt_code(), utcnow()
    values = {"round_id": rnd.id, "voter_key": key, "roll_entry_id": entry.id, "channel": channel,
              "choices": choices, "choice_mask": rules.choice_mask(choices),
              "receipt_digest": rules.receipt_digest(code), "cast_at": now, "cast_by": cast_by, "sheet_ref": sheet_ref}
    new_id = await session.scalar(
        insert_for(session, Ballot).values(id=uuid.uuid4(), version=1, **values)
        .on_conflict_do_nothing(index_elements=["round_id", "voter_key"]).returning(Ballot.id))
    previous = None
    if new_id is None:
        existing = await session.scalar(
            select(Ballot).where(Ballot.round_id == rnd.id, Ballot.voter_key == key).with_for_update()
            .execution_options(populate_existing=True))
        _refuse_existing(existing, entry, channel)
        previous = existing.version
        await session.execute(insert(BallotHistory).values(
            id=uuid.uuid4(), ballot_id=existing.id, round_id=rnd.id, version=existing.version,
            roll_entry_id=existing.roll_entry_id, choices=existing.choices, receipt_digest=existing.receipt_digest,
            cast_at=existing.cast_at, superseded_at=now))
        await session.execute(update(Ballot).where(Ballot.id == existing.id)
                              .values(version=existing.version + 1, **values))
        new_id = existing.id
    ballot = await session.scalar(select(Ballot).where(Ballot.id == new_id).execution_options(populate_existing=True))
    return ballot, code, previous


async def _audit_cast(session: AsyncSession, principal: Principal, rnd: VotingRound, ballot: Ballot,
                      previous: int | None) -> None:
    # The choices stay out of the trail: nobody may read a count, or a voter's choice, from it.
    await record(session, principal.actor, "ballot.change" if previous else "ballot.cast", "ballot", ballot.id,
                 after={"round_id": str(rnd.id), "channel": ballot.channel, "version": ballot.version,
                        "receipt_digest": ballot.receipt_digest},
                 region_path=rnd.region_path)


async def cast_online(session: AsyncSession, principal: Principal, round_id: uuid.UUID,
                      choices: list[int]) -> CastResult:
    """A resident casts (or changes) their ballot; they must be on the roll of the round's community."""
    rnd = await rounds_service.get_round(session, round_id, lock="share")
    _check_open_for(rnd, BallotChannel.online)
    entry = await roll_service.entry_of_voter(session, rnd.community_id, principal.phone_digest)
    if entry is None:
        raise Forbidden("Your phone number is not on this community's voter roll (居民名册); ask the community "
                        "office to add you.", code="not_on_roll")
    rule = rounds_service.ballot_rule(rnd)
    ballot, code, previous = await _store(session, rnd, rule, entry, BallotChannel.online,
                                          await _choices(session, rnd, rule, choices), principal.actor.id, None)
    await _audit_cast(session, principal, rnd, ballot, previous)
    return CastResult(ballot, code)


async def cast_paper(session: AsyncSession, principal: Principal, rnd: VotingRound, roll_entry_id: uuid.UUID,
                     choices: list[int], sheet_ref: str | None) -> CastResult:
    """Staff enter a paper ballot against a roll entry; one per voter, never beside an online one."""
    _check_open_for(rnd, BallotChannel.paper)
    entry = await session.get(VoterRollEntry, roll_entry_id)
    if entry is None or entry.community_id != rnd.community_id:
        raise Unprocessable("That roll entry is not on this round's community roll.", code="roll_entry_not_in_round")
    if entry.removed_at is not None:
        raise Conflict("That resident has been taken off the roll.", code="not_on_roll")
    rule = rounds_service.ballot_rule(rnd)
    ballot, code, previous = await _store(session, rnd, rule, entry, BallotChannel.paper,
                                          await _choices(session, rnd, rule, choices), principal.actor.id, sheet_ref)
    await _audit_cast(session, principal, rnd, ballot, previous)
    return CastResult(ballot, code)


async def my_ballot(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> dict[str, Any]:
    """Whether the caller may vote in the round, and their current ballot (choices only ever shown to them)."""
    rnd = await rounds_service.get_round(session, round_id)
    entry = await roll_service.entry_of_voter(session, rnd.community_id, principal.phone_digest)
    out: dict[str, Any] = {"round_id": rnd.id, "on_roll": entry is not None, "phase": rounds_service.phase_of(rnd),
                           "ballot": None, "earlier_versions": 0}
    if entry is None:
        return out
    key = rules.voter_key(rounds_service.ballot_rule(rnd), str(entry.id), entry.household)
    ballot = await session.scalar(select(Ballot).where(Ballot.round_id == rnd.id, Ballot.voter_key == key))
    if ballot is None:
        return out
    if ballot.roll_entry_id != entry.id:
        out["ballot"] = {"cast_by_household_member": True, "channel": ballot.channel, "cast_at": ballot.cast_at}
        return out
    out["ballot"] = {"cast_by_household_member": False, "channel": ballot.channel, "version": ballot.version,
                     "choices": ballot.choices, "cast_at": ballot.cast_at}
    out["earlier_versions"] = ballot.version - 1
    return out


async def check_receipt(session: AsyncSession, code: str) -> dict[str, Any]:
    """Where the ballot of a receipt stands: recorded, counted, superseded or not counted; never its choices."""
    digest = rules.receipt_digest(code)
    current = await session.scalar(select(Ballot.round_id).where(Ballot.receipt_digest == digest))
    round_id, status = current, "counted"
    if current is None:
        round_id = await session.scalar(select(BallotHistory.round_id).where(BallotHistory.receipt_digest == digest))
        status = "superseded"
    if round_id is None:
        raise NotFound("No ballot has that receipt code.", code="receipt_not_found")
    rnd = await rounds_service.get_round(session, round_id)
    if rnd.status == RoundStatus.cancelled:
        status = "not_counted"
    elif rnd.status != RoundStatus.closed and status == "counted":
        status = "recorded"
    return {"round_id": rnd.id, "round_title": rnd.title, "status": status, "receipt_digest": digest}


async def profile_of(session: AsyncSession, round_id: uuid.UUID) -> dict[int, int]:
    """The round's current ballots grouped by choices: choice mask -> number of ballots."""
    rows = await session.execute(select(Ballot.choice_mask, func.count()).where(Ballot.round_id == round_id)
                                 .group_by(Ballot.choice_mask))
    return {int(mask): int(count) for mask, count in rows}
