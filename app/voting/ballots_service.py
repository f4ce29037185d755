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
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event, pending_rows, record_many
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.upsert import insert_for
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.programmes.ruleset import BallotRule
from app.voting import roll_service, rounds_service, rules
from app.voting.models import (
    Ballot,
    BallotChannel,
    BallotHistory,
    RoundProject,
    RoundStatus,
    VoterRollEntry,
    VotingRound,
)
from app.voting.rules import Phase

_BALLOT, _HISTORY = Ballot.__table__, BallotHistory.__table__
_ROUND, _ROLL, _ON_BALLOT = VotingRound.__table__, VoterRollEntry.__table__, RoundProject.__table__
# Casting is the city's busiest write: its statements are built once (compiled once, no per-request cache
# keys) and run on the session's connection, without the ORM, in as few round trips as the rules allow.

# The ballot's "number:cost" pairs as one text column, so validating choices costs no round trip of its own.
_COSTS_TEXT = (select(func.aggregate_strings(cast(_ON_BALLOT.c.number, String) + literal(":")
                                             + cast(_ON_BALLOT.c.cost_fen, String), ","))
               .where(_ON_BALLOT.c.round_id == _ROUND.c.id).scalar_subquery())
_ROUND_WITH_ENTRY = (
    select(_ROUND.c.id, _ROUND.c.community_id, _ROUND.c.status, _ROUND.c.opens_at, _ROUND.c.closes_at,
           _ROUND.c.budget_fen, _ROUND.c.ballot_rule, _ROUND.c.region_path, _COSTS_TEXT.label("costs"),
           _ROLL.c.id.label("entry_id"), _ROLL.c.household.label("entry_household"))
    .select_from(_ROUND.outerjoin(_ROLL, and_(_ROLL.c.community_id == _ROUND.c.community_id,
                                              _ROLL.c.phone_digest == bindparam("digest"),
                                              _ROLL.c.removed_at.is_(None))))
    .where(_ROUND.c.id == bindparam("round_id"))
    .with_for_update(read=True, of=_ROUND))
_CURRENT = (select(_BALLOT.c.id, _BALLOT.c.version, _BALLOT.c.roll_entry_id, _BALLOT.c.channel, _BALLOT.c.choices,
                   _BALLOT.c.receipt_digest, _BALLOT.c.cast_at)
            .where(_BALLOT.c.round_id == bindparam("round_id"), _BALLOT.c.voter_key == bindparam("voter_key"))
            .with_for_update())
_KEEP_VERSION = insert(_HISTORY)
_REPLACE = update(_BALLOT).where(_BALLOT.c.id == bindparam("ballot_id"))
_FIRST_CAST: dict[str, Any] = {}


def _first_cast(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect not in _FIRST_CAST:
        _FIRST_CAST[dialect] = (insert_for(session, _BALLOT).on_conflict_do_nothing(
            index_elements=["round_id", "voter_key"]).returning(_BALLOT.c.id))
    return _FIRST_CAST[dialect]


@dataclass(frozen=True, slots=True)
class CastBallot:
    """A ballot's row as a cast stored it: a plain value (an ORM instance cost a tenth of a cast to build)."""

    id: uuid.UUID
    version: int
    round_id: uuid.UUID
    voter_key: str
    roll_entry_id: uuid.UUID
    channel: BallotChannel
    choices: list[int]
    choice_mask: int
    receipt_digest: str
    cast_at: datetime
    cast_by: str | None
    sheet_ref: str | None


@dataclass(frozen=True)
class CastResult:
    """The stored ballot and the receipt code (returned once, never stored)."""

    ballot: CastBallot
    receipt_code: str


def new_receipt_code() -> str:
    """80 random bits as 16 base32 characters in groups of four (readable aloud, no 0/1 confusion)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _check_open_for(rnd: Any, channel: BallotChannel) -> None:
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


def _costs(text: str | None) -> dict[int, int]:
    """Project number -> cost from the "number:cost,..." column of _ROUND_WITH_ENTRY."""
    pairs = (pair.split(":") for pair in text.split(",")) if text else ()
    return {int(number): int(cost) for number, cost in pairs}


def _choices(costs: dict[int, int], rnd: Any, rule: BallotRule, choices: list[int]) -> list[int]:
    problem = rules.ballot_problem(rule, choices, costs, rnd.budget_fen)
    if problem:
        raise Unprocessable(problem.message, code=problem.code)
    return sorted(choices)


def _refuse_existing(existing: Any, entry_id: uuid.UUID, channel: BallotChannel) -> None:
    """Why a voter who already has a ballot may not cast this one (None: they may replace their own)."""
    if existing.roll_entry_id != entry_id:
        raise Conflict("Someone in this household has already voted (一户一票).", code="household_already_voted")
    if existing.channel == BallotChannel.paper:
        raise Conflict("This resident voted on paper; they cannot vote again.", code="voted_on_paper")
    if channel == BallotChannel.paper:
        raise Conflict("This resident already voted online; a paper ballot cannot be added.", code="voted_online")


def _ballot_values(rnd: Any, rule: BallotRule, entry_id: uuid.UUID, household: str | None, channel: BallotChannel,
                   choices: list[int], cast_by: str | None, sheet_ref: str | None, code: str) -> dict[str, Any]:
    """The columns of a ballot (but its id and version), cast now."""
    return {"round_id": rnd.id, "voter_key": rules.voter_key(rule, str(entry_id), household), "roll_entry_id": entry_id,
            "channel": channel, "choices": choices, "choice_mask": rules.choice_mask(choices),
            "receipt_digest": rules.receipt_digest(code), "cast_at": utcnow(), "cast_by": cast_by,
            "sheet_ref": sheet_ref}


async def _store(session: AsyncSession, rnd: Any, rule: BallotRule, entry_id: uuid.UUID, household: str | None,
                 channel: BallotChannel, choices: list[int], cast_by: str | None,
                 sheet_ref: str | None) -> tuple[CastBallot, str, int | None]:
    """Insert the voter's first ballot or replace their current one; returns it, its receipt and the old version."""
    conn = await session.connection()
    code = new_receipt_code()
    values = _ballot_values(rnd, rule, entry_id, household, channel, choices, cast_by, sheet_ref, code)
    key, now = values["voter_key"], values["cast_at"]
    ballot_id, version, previous = uuid.uuid4(), 1, None
    if (await conn.execute(_first_cast(session), {"id": ballot_id, "version": 1, **values})).scalar() is None:
        existing = (await conn.execute(_CURRENT, {"round_id": rnd.id, "voter_key": key})).one()
        _refuse_existing(existing, entry_id, channel)
        ballot_id, previous, version = existing.id, existing.version, existing.version + 1
        await conn.execute(_KEEP_VERSION, {
            "id": uuid.uuid4(), "ballot_id": existing.id, "round_id": rnd.id, "version": existing.version,
            "roll_entry_id": existing.roll_entry_id, "choices": existing.choices,
            "receipt_digest": existing.receipt_digest, "cast_at": existing.cast_at, "superseded_at": now})
        await conn.execute(_REPLACE, {"ballot_id": existing.id, "version": version, **values})
    return CastBallot(id=ballot_id, version=version, **values), code, previous


def _cast_event(rnd: Any, ballot: CastBallot, previous: int | None) -> Event:
    # The choices stay out of the trail: nobody may read a count, or a voter's choice, from it.
    return Event("ballot.change" if previous else "ballot.cast", "ballot", ballot.id,
                 after={"round_id": str(rnd.id), "channel": ballot.channel, "version": ballot.version,
                        "receipt_digest": ballot.receipt_digest},
                 region_path=rnd.region_path)


async def _audit_cast(session: AsyncSession, principal: Principal, rnd: Any, ballot: CastBallot,
                      previous: int | None) -> None:
    await record_many(session, principal.actor, [_cast_event(rnd, ballot, previous)])


def _admit_online(rnd: Any) -> None:
    """Refuse unless the round (a row of _ROUND_WITH_ENTRY) exists, is open, and has the caller on its roll."""
    if rnd is None:
        raise NotFound("No voting round with that id.", code="round_not_found")
    _check_open_for(rnd, BallotChannel.online)
    if rnd.entry_id is None:
        raise Forbidden("Your phone number is not on this community's voter roll (居民名册); ask the community "
                        "office to add you.", code="not_on_roll")


def first_online_ballot(principal: Principal, rnd: Any, choices: list[int]) -> tuple[CastResult, dict[str, Any]]:
    """A resident's ballot as their first (version 1), checked as cast_online checks it (raising the same
    problems), with its pending audit event row; for app.voting.first_ballot, which stores both at once.
    `rnd` has the columns of _ROUND_WITH_ENTRY."""
    _admit_online(rnd)
    rule = rounds_service.ballot_rule(rnd)
    code = new_receipt_code()
    values = _ballot_values(rnd, rule, rnd.entry_id, rnd.entry_household, BallotChannel.online,
                            _choices(_costs(rnd.costs), rnd, rule, choices), principal.actor.id, None, code)
    ballot = CastBallot(id=uuid.uuid4(), version=1, **values)
    [event] = pending_rows(principal.actor, [_cast_event(rnd, ballot, None)], now=ballot.cast_at)
    return CastResult(ballot, code), event


async def cast_online(session: AsyncSession, principal: Principal, round_id: uuid.UUID,
                      choices: list[int]) -> CastResult:
    """A resident casts (or changes) their ballot; they must be on the roll of the round's community."""
    conn = await session.connection()
    # The round share-locked (closing waits for casts in flight) and the caller's roll entry, in one query.
    rnd = (await conn.execute(_ROUND_WITH_ENTRY, {"round_id": round_id, "digest": principal.phone_digest})).first()
    _admit_online(rnd)
    rule = rounds_service.ballot_rule(rnd)
    ballot, code, previous = await _store(session, rnd, rule, rnd.entry_id, rnd.entry_household, BallotChannel.online,
                                          _choices(_costs(rnd.costs), rnd, rule, choices), principal.actor.id, None)
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
    costs = {p.number: p.cost_fen for p in await rounds_service.projects_of(session, rnd.id)}
    choices = _choices(costs, rnd, rule, choices)
    ballot, code, previous = await _store(session, rnd, rule, entry.id, entry.household, BallotChannel.paper,
                                          choices, principal.actor.id, sheet_ref)
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
