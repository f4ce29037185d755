"""Casting ballots online and on paper, the voter's own view, receipt checks, and cutting voters' links at close.

The ballot is secret (docs/security.md). A cast writes two rows that share nothing but the round's id: the
voter's mark (vote_mark: this voter or household voted, how and when) and the ballot (what was chosen, under a
random id, its receipt's digest and a keyed tag of the voter, app/voting/secrecy.py, by which the service
finds it again for a change). The audit event names the voter and the round, nothing of the ballot. The close
rewrites the round's ballots without tags (cut_voter_links), after which nobody can tell whose ballot is whose.

A cast holds a share lock on the round row (PostgreSQL), so closing (which takes the update lock) waits for
casts in flight and counts exactly the ballots that were acknowledged. A voter's first cast is one INSERT ...
ON CONFLICT DO NOTHING of their mark under the (round, voter) unique constraint, then the ballot; a change
locks the mark, moves the replaced choices to history and updates the ballot, so concurrent casts by one
voter leave one current ballot and a consistent history.
"""

import base64
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, any_, bindparam, cast, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.service import Actor, Event, pending_cte, pending_params, pending_rows, record_on, store_pending
from app.auth.principal import Principal
from app.common.models import utcnow
from app.common.upsert import insert_on
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.idempotency import service as idempotency_service
from app.programmes.models import Programme
from app.programmes.ruleset import BallotRule
from app.voting import rounds_service, rules, secrecy
from app.voting.models import (
    Ballot,
    BallotChannel,
    BallotHistory,
    LegacyReceipt,
    RoundProject,
    RoundStatus,
    VoteMark,
    VoterRollEntry,
    VotingRound,
)
from app.voting.rules import Phase

_MARK, _BALLOT, _HISTORY = VoteMark.__table__, Ballot.__table__, BallotHistory.__table__
_ROUND, _ROLL, _ON_BALLOT = VotingRound.__table__, VoterRollEntry.__table__, RoundProject.__table__
_LEGACY = LegacyReceipt.metadata.tables[LegacyReceipt.__tablename__]
# The year of a round's programme: its ballots' partition (app/common/partitions.py).
_PROGRAMME_YEAR = select(col(Programme.year)).where(col(Programme.id) == _ROUND.c.programme_id).scalar_subquery()
# Casting is the city's busiest write: its statements are built once (compiled once, no per-request cache
# keys) and run on the session's connection, without the ORM, in as few round trips as the rules allow.

# The ballot's "number:cost" pairs as one text column, so validating choices costs no round trip of its own.
_COSTS_TEXT = (
    select(
        func.aggregate_strings(
            cast(_ON_BALLOT.c.number, String) + literal(":") + cast(_ON_BALLOT.c.cost_fen, String), ","
        )
    )
    .where(_ON_BALLOT.c.round_id == _ROUND.c.id)
    .scalar_subquery()
)
_WITH_ENTRY = _ROUND.outerjoin(
    _ROLL,
    and_(
        _ROLL.c.community_id == _ROUND.c.community_id,
        _ROLL.c.phone_digest == bindparam("digest"),
        _ROLL.c.removed_at.is_(None),
    ),
)
# Whether the caller's roll entry already has a mark in the round: a change of ballot, most likely (the store
# decides under the mark's lock; a household's mark under another entry is found there too).
_ENTRY_VOTED = (
    select(_MARK.c.id)
    .where(_MARK.c.round_id == _ROUND.c.id, _MARK.c.roll_entry_id == _ROLL.c.id)
    .exists()
    .label("entry_voted")
)
_ROUND_WITH_ENTRY_READ = (
    select(
        _ROUND.c.id,
        _ROUND.c.community_id,
        _ROUND.c.status,
        _ROUND.c.opens_at,
        _ROUND.c.closes_at,
        _ROUND.c.budget_fen,
        _ROUND.c.ballot_rule,
        _ROUND.c.region_path,
        _COSTS_TEXT.label("costs"),
        _PROGRAMME_YEAR.label("programme_year"),
        _ROLL.c.id.label("entry_id"),
        _ROLL.c.household.label("entry_household"),
        _ENTRY_VOTED,
    )
    .select_from(_WITH_ENTRY)
    .where(_ROUND.c.id == bindparam("round_id"))
)
# The same, the round share-locked: a cast's first statement in its transaction. The fast lane's plan reads
# without it: in autocommit a row lock is a transaction of its own (an xid, WAL and a commit flush per plan).
_ROUND_WITH_ENTRY = _ROUND_WITH_ENTRY_READ.with_for_update(read=True, of=_ROUND)
# The voter's own view and receipt checks: reads, no locks.
_ROUND_FOR_VOTER = (
    select(
        _ROUND.c.id,
        _ROUND.c.status,
        _ROUND.c.opens_at,
        _ROUND.c.closes_at,
        _ROUND.c.ballot_rule,
        _ROLL.c.id.label("entry_id"),
        _ROLL.c.household.label("entry_household"),
    )
    .select_from(_WITH_ENTRY)
    .where(_ROUND.c.id == bindparam("round_id"))
)
# The voter's mark and, when they cast it themselves (not a member of their household), their ballot's choices:
# one round trip for my-ballot instead of two.
_MARK_SEEN = select(
    _MARK.c.roll_entry_id,
    _MARK.c.channel,
    _MARK.c.casts,
    _MARK.c.last_cast_at,
    select(_BALLOT.c.choices)
    .where(
        _BALLOT.c.round_id == bindparam("round_id"),
        _BALLOT.c.voter_tag == bindparam("voter_tag"),
        _MARK.c.roll_entry_id == bindparam("entry_id"),
    )
    .scalar_subquery()
    .label("choices"),
).where(_MARK.c.round_id == bindparam("round_id"), _MARK.c.voter_key == bindparam("voter_key"))
# A receipt's ballot, current or replaced: in a round its code's hint allows (rules.hinted_rounds), or, for a code
# of before migration 0031, the round legacy_receipt names; then by (round, digest), the round-led index.


def _receipt_lookup(table: Any, *columns: Any) -> dict[str, Any]:
    by_digest = table.c.receipt_digest == bindparam("digest")
    return {
        "hinted": select(*columns)
        .select_from(table.join(_ROUND, _ROUND.c.id == table.c.round_id))
        .where(_ROUND.c.id.between(bindparam("lo"), bindparam("hi")), by_digest),
        "legacy": select(*columns)
        .select_from(table.join(_LEGACY, _LEGACY.c.round_id == table.c.round_id))
        .where(_LEGACY.c.receipt_digest == bindparam("digest"), by_digest),
    }


_BY_RECEIPT = _receipt_lookup(_BALLOT, _BALLOT.c.round_id, _BALLOT.c.id)
_SUPERSEDED_BY_RECEIPT = _receipt_lookup(_HISTORY, _HISTORY.c.round_id)
# A batch of casts (store_planned, PostgreSQL): its rounds share-locked in one statement, in id
# order, and their windows checked again; its marks inserted by one statement, in (round, voter) order, so two
# batches never wait on each other crosswise. A batch costs the same round trips whatever its size.
_ROUNDS_STILL_OPEN = (
    select(_ROUND.c.id, _ROUND.c.status, _ROUND.c.opens_at, _ROUND.c.closes_at)
    .where(_ROUND.c.id == any_(bindparam("round_ids", type_=ARRAY(_ROUND.c.id.type))))
    .order_by(_ROUND.c.id)
    .with_for_update(read=True)
)
_MARK_COLUMNS = ", ".join(c.name for c in _MARK.columns)
_FIRST_MARKS_PG = text(
    f"INSERT INTO vote_mark ({_MARK_COLUMNS}) SELECT {_MARK_COLUMNS} FROM unnest("  # noqa: S608 (constants only)
    + ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=postgresql.dialect())}[])" for c in _MARK.columns)
    + f") AS m({_MARK_COLUMNS}) ORDER BY round_id, voter_key"
    " ON CONFLICT (round_id, voter_key) DO NOTHING RETURNING id"
).columns(_MARK.c.id)
# What a change needs of the voter's mark and current ballot, both locked (_MARK_AND_CURRENT, _MARKS_AND_CURRENT_PG).
_MARK_AND_CURRENT_COLUMNS = (
    _MARK.c.id,
    _MARK.c.roll_entry_id,
    _MARK.c.channel,
    _MARK.c.casts,
    _BALLOT.c.id.label("ballot_id"),
    _BALLOT.c.programme_year,
    _BALLOT.c.choices,
    _BALLOT.c.receipt_digest,
)
# Its changes: the voters' marks and current ballots locked by one statement, in (round, voter) order. The text's
# columns are matched to these by position.
_MARKS_AND_CURRENT_PG = text(
    "SELECT m.round_id, m.voter_key, m.id, m.roll_entry_id, m.channel, m.casts,"
    " b.id AS ballot_id, b.programme_year, b.choices, b.receipt_digest"
    " FROM unnest(CAST(:round_ids AS UUID[]), CAST(:voter_keys AS VARCHAR[]), CAST(:voter_tags AS VARCHAR[]))"
    " AS k(round_id, voter_key, voter_tag)"
    " JOIN vote_mark m ON m.round_id = k.round_id AND m.voter_key = k.voter_key"
    " JOIN ballot b ON b.round_id = k.round_id AND b.voter_tag = k.voter_tag"
    " ORDER BY m.round_id, m.voter_key FOR UPDATE OF m, b"
).columns(_MARK.c.round_id, _MARK.c.voter_key, *_MARK_AND_CURRENT_COLUMNS)
_ROUND_STANDING = select(_ROUND.c.id, _ROUND.c.title, _ROUND.c.status).where(_ROUND.c.id == bindparam("round_id"))
_MARK_OF = (
    select(_MARK.c.id, _MARK.c.roll_entry_id, _MARK.c.channel, _MARK.c.casts)
    .where(_MARK.c.round_id == bindparam("round_id"), _MARK.c.voter_key == bindparam("voter_key"))
    .with_for_update()
)
_CURRENT = (
    select(_BALLOT.c.id, _BALLOT.c.programme_year, _BALLOT.c.choices, _BALLOT.c.receipt_digest)
    .where(_BALLOT.c.round_id == bindparam("round_id"), _BALLOT.c.voter_tag == bindparam("voter_tag"))
    .with_for_update()
)
# A change of ballot: the voter's mark and current ballot locked by one statement (the mark's row first); on
# PostgreSQL the replaced version's history row, the ballot's new choices, the mark's count and the audit event
# written by one statement (_CHANGE_PG), so a change costs the round trips of a first ballot.
_MARK_AND_CURRENT = (
    select(*_MARK_AND_CURRENT_COLUMNS)
    .select_from(
        _MARK.join(_BALLOT, and_(_BALLOT.c.round_id == _MARK.c.round_id, _BALLOT.c.voter_tag == bindparam("voter_tag")))
    )
    .where(_MARK.c.round_id == bindparam("round_id"), _MARK.c.voter_key == bindparam("voter_key"))
    .with_for_update(of=[_MARK, _BALLOT])
)


def _typed(prefix: str, table: Any, *names: str) -> dict[str, Any]:
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


_CHANGE_PG = (
    update(_BALLOT)
    .where(_BALLOT.c.id == bindparam("b_ballot_id"), _BALLOT.c.programme_year == bindparam("b_ballot_year"))
    .values(_typed("b_", _BALLOT, "round_id", "voter_tag", "choices", "choice_mask", "receipt_digest"))
    .add_cte(
        insert(_HISTORY)
        .values(_typed("h_", _HISTORY, "id", "programme_year", "round_id", "choices", "receipt_digest"))
        .cte("kept"),
        update(_MARK)
        .where(_MARK.c.id == bindparam("m_mark_id"))
        .values(casts=_MARK.c.casts + 1, **_typed("m_", _MARK, "last_cast_at", "cast_by"))
        .cte("marked"),
        pending_cte("e_"),
    )
)
_ADD_BALLOT = insert(_BALLOT)
_KEEP_VERSION = insert(_HISTORY)
_REPLACE = update(_BALLOT).where(
    _BALLOT.c.id == bindparam("ballot_id"), _BALLOT.c.programme_year == bindparam("ballot_year")
)
_MARK_AGAIN = (
    update(_MARK)
    .where(_MARK.c.id == bindparam("mark_id"))
    .values(casts=_MARK.c.casts + 1, last_cast_at=bindparam("at"), cast_by=bindparam("by"))
)
_FIRST_MARK: dict[str, Any] = {}
# The close on PostgreSQL: the round's rows deleted and written again in one statement, under fresh ids and in
# the order of those ids, so neither an id nor the rows' order on disk (a dump lists them in it) nor a
# transaction id still follows the order or the transactions of the casts. A fresh id is a UUIDv7 of the close:
# the closing transaction's start (now(), one value for every row, never a clock read per row, which would
# follow the order the rows are read in) and 74 random bits, so the round's new ids are neighbours in the primary
# key (a few pages written, not one random page per ballot) and their order among themselves is random.
# secrecy.counted_ballot_id makes the same ids in Python (SQLite).
_COUNTED_ID_PG = (
    "(lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || '7'"
    " || substr(replace(gen_random_uuid()::text, '-', ''), 14))::uuid"
)
# Both tables in one statement (one round trip): data-modifying CTEs all run, whether or not the outer query
# reads them. The rows' round is checked once for the statement, not once per row (migration 0037).
_REKEY_PG = text(
    "WITH old AS (DELETE FROM ballot WHERE round_id = :round_id"  # noqa: S608 (constants only)
    " RETURNING programme_year, round_id, choices, choice_mask, receipt_digest),"
    " old_versions AS (DELETE FROM ballot_history WHERE round_id = :round_id"
    " RETURNING programme_year, round_id, choices, receipt_digest),"
    " versions AS (INSERT INTO ballot_history (id, programme_year, round_id, choices, receipt_digest)"
    f" SELECT {_COUNTED_ID_PG}, programme_year, round_id, choices, receipt_digest FROM old_versions ORDER BY 1)"
    " INSERT INTO ballot (id, programme_year, round_id, voter_tag, choices, choice_mask, receipt_digest)"
    f" SELECT {_COUNTED_ID_PG}, programme_year, round_id, NULL, choices, choice_mask, receipt_digest"
    " FROM old ORDER BY 1"
)
# The requests whose stored answers (Idempotency-Key) tell a voter's choices; forgotten at the close.
CAST_TARGETS = ("/api/v1/voting/rounds/{round_id}/ballots", "/api/v1/voting/rounds/{round_id}/paper-ballots")


def _first_mark(conn: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id of a vote mark, built once per dialect."""
    dialect = conn.dialect.name
    if dialect not in _FIRST_MARK:
        _FIRST_MARK[dialect] = (
            insert_on(dialect, _MARK)
            .on_conflict_do_nothing(index_elements=["round_id", "voter_key"])
            .returning(_MARK.c.id)
        )
    return _FIRST_MARK[dialect]


@dataclass(frozen=True, slots=True)
class CastBallot:
    """A ballot's row as a cast stored it: a plain value (an ORM instance cost a tenth of a cast to build)."""

    id: uuid.UUID
    programme_year: int
    round_id: uuid.UUID
    voter_tag: str | None
    choices: list[int]
    choice_mask: int
    receipt_digest: str


@dataclass(frozen=True, slots=True)
class CastMark:
    """The voter's mark as the cast left it: who voted, how, when, and how many times."""

    id: uuid.UUID
    round_id: uuid.UUID
    voter_key: str
    roll_entry_id: uuid.UUID
    channel: BallotChannel
    casts: int
    last_cast_at: datetime
    cast_by: str | None
    sheet_ref: str | None


@dataclass(frozen=True)
class CastResult:
    """The stored ballot, the voter's mark and the receipt code (returned once, never stored)."""

    ballot: CastBallot
    mark: CastMark
    receipt_code: str


def new_receipt_code(round_id: uuid.UUID) -> str:
    """The round's hint (rules.receipt_hint) and 80 random bits, as 20 base32 characters in groups of four."""
    return rules.receipt_code(round_id, base64.b32encode(secrets.token_bytes(10)).decode())


def _check_open_for(rnd: Any, channel: BallotChannel) -> None:
    phase = rounds_service.phase_of(rnd)
    # Paper ballots cast in person may be entered after the window, until the round is counted.
    allowed = {Phase.open} if channel == BallotChannel.online else {Phase.open, Phase.ended}
    if phase in allowed:
        return
    if phase == Phase.upcoming:
        raise Conflict(
            f"Voting opens at {rnd.opens_at.isoformat()}.",
            code="round_not_open",
            extra={"opens_at": rnd.opens_at.isoformat()},
        )
    if phase == Phase.cancelled:
        raise Conflict("This round was cancelled.", code="round_cancelled")
    raise Conflict(
        "Voting in this round has closed.", code="round_closed", extra={"closes_at": rnd.closes_at.isoformat()}
    )


def _costs(text: str | None) -> dict[int, int]:
    """Project number -> cost from the "number:cost,..." column of _ROUND_WITH_ENTRY."""
    pairs = (pair.split(":") for pair in text.split(",")) if text else ()
    return {int(number): int(cost) for number, cost in pairs}


def _choices(costs: dict[int, int], rnd: Any, rule: BallotRule, choices: list[int]) -> list[int]:
    problem = rules.ballot_problem(rule, choices, costs, rnd.budget_fen)
    if problem:
        raise Unprocessable(problem.message, code=problem.code)
    return rules.stored_choices(rule, choices)


def _refuse_existing(existing: Any, entry_id: uuid.UUID, channel: BallotChannel) -> None:
    """Why a voter who already has a ballot may not cast this one (None: they may replace their own)."""
    if existing.roll_entry_id != entry_id:
        raise Conflict("Someone in this household has already voted (一户一票).", code="household_already_voted")
    if existing.channel == BallotChannel.paper:
        raise Conflict("This resident voted on paper; they cannot vote again.", code="voted_on_paper")
    if channel == BallotChannel.paper:
        raise Conflict("This resident already voted online; a paper ballot cannot be added.", code="voted_online")


def _rows(
    key: bytes,
    rnd: Any,
    year: int,
    rule: BallotRule,
    entry_id: uuid.UUID,
    household: str | None,
    channel: BallotChannel,
    choices: list[int],
    cast_by: str | None,
    sheet_ref: str | None,
    code: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns of a ballot and of its voter's mark (but their ids and the count of casts), cast now in a round
    of the programme of `year`."""
    voter = rules.voter_key(rule, str(entry_id), household)
    ballot = {
        "programme_year": year,
        "round_id": rnd.id,
        "voter_tag": secrecy.voter_tag(key, rnd.id, voter),
        "choices": choices,
        "choice_mask": rules.choice_mask(choices),
        "receipt_digest": rules.receipt_digest(code),
    }
    mark = {
        "round_id": rnd.id,
        "voter_key": voter,
        "roll_entry_id": entry_id,
        "channel": channel,
        "last_cast_at": utcnow(),
        "cast_by": cast_by,
        "sheet_ref": sheet_ref,
    }
    return ballot, mark


async def _store(
    conn: Any,
    key: bytes,
    rnd: Any,
    year: int,
    rule: BallotRule,
    entry_id: uuid.UUID,
    household: str | None,
    channel: BallotChannel,
    choices: list[int],
    actor: Actor,
    sheet_ref: str | None,
    voted: bool = False,
) -> CastResult:
    """Store the voter's first ballot or replace their current one, with its audit event; returns it.
    `conn` runs Core statements: a session's connection, or the fast lane's executor (app.common.compiled).
    `voted`: the voter's entry was seen with a mark, so their mark and ballot are locked first (a change costs
    no failed insert); whatever was seen, the mark found under its lock decides."""
    code = new_receipt_code(rnd.id)
    ballot, mark = _rows(key, rnd, year, rule, entry_id, household, channel, choices, actor.id, sheet_ref, code)
    mark_of = {"round_id": rnd.id, "voter_key": mark["voter_key"]}
    locked = {**mark_of, "voter_tag": ballot["voter_tag"]}
    found: Any = (await conn.execute(_MARK_AND_CURRENT, locked)).first() if voted else None
    existing: Any = found
    current: Any = found
    if found is None:
        mark_id = uuid.uuid4()
        if (await conn.execute(_first_mark(conn), {"id": mark_id, "casts": 1, **mark})).scalar() is not None:
            ballot_id = uuid.uuid4()
            await conn.execute(_ADD_BALLOT, {"id": ballot_id, **ballot})
            cast = CastResult(CastBallot(id=ballot_id, **ballot), CastMark(id=mark_id, casts=1, **mark), code)
            await record_on(conn, actor, [_cast_event(rnd, cast.mark, False)])
            return cast
        existing = (await conn.execute(_MARK_OF, mark_of)).one()
    _refuse_existing(existing, entry_id, channel)
    if current is None:
        current = (await conn.execute(_CURRENT, {"round_id": rnd.id, "voter_tag": ballot["voter_tag"]})).first()
    # Only when the secret key changed since the first cast (its tag is another) or the voter's earlier
    # account was deleted (app/privacy/erasure_service.py erased the tag): the ballot counts, nobody can reach it.
    if current is None:
        raise Conflict(
            "找不到你此前的选票（服务密钥已更换，或原账号已注销），本轮无法再修改。"
            "Your earlier ballot can no longer be found (the service's secret key changed, or the "
            "account that cast it was deleted); it cannot be changed in this round.",
            code="ballot_unreachable",
        )
    ballot_id = current.ballot_id if found is not None else current.id
    cast = CastResult(
        CastBallot(id=ballot_id, **ballot), CastMark(id=existing.id, casts=existing.casts + 1, **mark), code
    )
    kept = {
        "id": uuid.uuid4(),
        "programme_year": current.programme_year,
        "round_id": rnd.id,
        "choices": current.choices,
        "receipt_digest": current.receipt_digest,
    }
    replaced = {k: v for k, v in ballot.items() if k != "programme_year"}
    event = _cast_event(rnd, cast.mark, True)
    if conn.dialect.name == "postgresql":
        [row] = pending_rows(actor, [event])
        await conn.execute(
            _CHANGE_PG,
            {
                "b_ballot_id": ballot_id,
                "b_ballot_year": current.programme_year,
                **{f"b_{k}": v for k, v in replaced.items()},
                **{f"h_{k}": v for k, v in kept.items()},
                "m_mark_id": existing.id,
                "m_last_cast_at": mark["last_cast_at"],
                "m_cast_by": actor.id,
                **pending_params(row, "e_"),
            },
        )
        return cast
    await conn.execute(_KEEP_VERSION, kept)
    await conn.execute(_REPLACE, {"ballot_id": ballot_id, "ballot_year": current.programme_year, **replaced})
    await conn.execute(_MARK_AGAIN, {"mark_id": existing.id, "at": mark["last_cast_at"], "by": actor.id})
    await record_on(conn, actor, [event])
    return cast


def _cast_event(rnd: Any, mark: CastMark, changed: bool) -> Event:
    # That this voter cast or changed a ballot in this round, and how: never the ballot's id, receipt, version or
    # choices, which would let a reader of the trail find the voter's line in the published .pb.
    return Event(
        "ballot.change" if changed else "ballot.cast",
        "voting_round",
        rnd.id,
        after={"roll_entry_id": str(mark.roll_entry_id), "channel": mark.channel},
        region_path=rnd.region_path,
    )


def _admit_online(rnd: Any) -> Any:
    """Refuse unless the round (a row of _ROUND_WITH_ENTRY) exists, is open, and has the caller on its roll; the
    round."""
    if rnd is None:
        raise NotFound("No voting round with that id.", code="round_not_found")
    _check_open_for(rnd, BallotChannel.online)
    if rnd.entry_id is None:
        raise Forbidden(
            "Your phone number is not on this community's voter roll (居民名册); ask the community office to add you.",
            code="not_on_roll",
        )
    return rnd


@dataclass(frozen=True)
class PlannedCast:
    """An online ballot decided but not stored: the cast as a first ballot and its pending audit event row."""

    cast: CastResult
    event: dict[str, Any]
    voted: bool  # the voter's entry had a mark when read: a change, most likely


async def plan_online(
    conn: Any, principal: Principal, round_id: uuid.UUID, choices: list[int], key: bytes
) -> PlannedCast:
    """A resident's ballot as their first (version 1), checked as cast_online checks it (the same statement,
    the same rules, the same problems) but without holding the round's lock: for the fast lane, which stores
    the casts arriving together in one transaction (store_planned)."""
    params = {"round_id": round_id, "digest": principal.phone_digest}
    rnd = (await conn.execute(_ROUND_WITH_ENTRY_READ, params)).first()
    _admit_online(rnd)
    rule = rounds_service.ballot_rule(rnd)
    code = new_receipt_code(rnd.id)
    ballot, mark = _rows(
        key,
        rnd,
        rnd.programme_year,
        rule,
        rnd.entry_id,
        rnd.entry_household,
        BallotChannel.online,
        _choices(_costs(rnd.costs), rnd, rule, choices),
        principal.actor.id,
        None,
        code,
    )
    cast = CastResult(CastBallot(id=uuid.uuid4(), **ballot), CastMark(id=uuid.uuid4(), casts=1, **mark), code)
    [event] = pending_rows(principal.actor, [_cast_event(rnd, cast.mark, False)], now=mark["last_cast_at"])
    return PlannedCast(cast, event, bool(rnd.entry_voted))


def _columns(row: Any) -> dict[str, Any]:
    """A slotted dataclass's fields, shallow (dataclasses.asdict deep-copies every value: a tenth of a batch)."""
    return {name: getattr(row, name) for name in row.__slots__}


async def store_planned(conn: Any, planned: list[PlannedCast]) -> list[CastResult | None]:
    """Store planned online casts in conn's transaction (PostgreSQL) as _store stores them: their rounds
    share-locked (a close waits for the commit) and still open at the cast's time; a first ballot's mark
    inserted unless the voter (or their household) has one, then its ballot; a change (the voter was seen with a
    mark) made under the lock of the voter's own online mark and current ballot, its replaced version kept in
    history; the audit events of all that went in. Returns, for each, what was stored, or None: not stored
    (a household's ballot, a paper voter's, a ballot no longer reachable, a closed round's, a second cast of
    one voter in the batch), for the service's own transaction to decide."""
    ids = sorted({p.cast.mark.round_id for p in planned})
    rounds = {rnd.id: rnd for rnd in (await conn.execute(_ROUNDS_STILL_OPEN, {"round_ids": ids})).all()}
    open_now = [
        p
        for p in planned
        if (rnd := rounds.get(p.cast.mark.round_id)) is not None
        and rounds_service.phase_of(rnd, p.cast.mark.last_cast_at) == Phase.open
    ]
    stored: dict[uuid.UUID, CastResult] = {}  # by the plan's mark id
    events: list[dict[str, Any]] = []
    if firsts := [p.cast.mark for p in open_now if not p.voted]:
        columns = {c.name: [getattr(m, c.name) for m in firsts] for c in _MARK.columns}
        columns["channel"] = [str(channel) for channel in columns["channel"]]
        inserted = {row[0] for row in (await conn.execute(_FIRST_MARKS_PG, columns)).all()}
        new = [p for p in open_now if not p.voted and p.cast.mark.id in inserted]
        if new:
            await conn.execute(_ADD_BALLOT, [_columns(p.cast.ballot) for p in new])
        stored |= {p.cast.mark.id: p.cast for p in new}
        events += [p.event for p in new]
    if changes := [p for p in open_now if p.voted]:
        stored_changes = await _store_changes(conn, changes)
        stored |= {p.cast.mark.id: cast for p, cast in stored_changes}
        events += [{**p.event, "action": "ballot.change"} for p, _ in stored_changes]
    if events:
        await store_pending(conn, events)
    return [stored.get(p.cast.mark.id) for p in planned]


async def _store_changes(conn: Any, changes: list[PlannedCast]) -> list[tuple[PlannedCast, CastResult]]:
    """store_planned's changes: each under the lock of its voter's mark and current ballot, as _store replaces
    a ballot; a change _store would refuse (or could not make) is left out."""
    marks = [p.cast.mark for p in changes]
    found = {
        (row.round_id, row.voter_key): row
        for row in (
            await conn.execute(
                _MARKS_AND_CURRENT_PG,
                {
                    "round_ids": [m.round_id for m in marks],
                    "voter_keys": [m.voter_key for m in marks],
                    "voter_tags": [p.cast.ballot.voter_tag for p in changes],
                },
            )
        ).all()
    }
    done: list[tuple[PlannedCast, CastResult, Any]] = []
    for p in changes:
        mark, ballot = p.cast.mark, p.cast.ballot
        current = found.pop((mark.round_id, mark.voter_key), None)  # popped: one change a voter a batch
        if current is None or current.roll_entry_id != mark.roll_entry_id or current.channel != BallotChannel.online:
            continue
        cast = CastResult(
            replace(ballot, id=current.ballot_id),
            replace(mark, id=current.id, casts=current.casts + 1),
            p.cast.receipt_code,
        )
        done.append((p, cast, current))
    if done:
        await conn.execute(
            _KEEP_VERSION,
            [
                {
                    "id": uuid.uuid4(),
                    "programme_year": current.programme_year,
                    "round_id": current.round_id,
                    "choices": current.choices,
                    "receipt_digest": current.receipt_digest,
                }
                for _, _, current in done
            ],
        )
        await conn.execute(
            _REPLACE,
            [
                {
                    "ballot_id": current.ballot_id,
                    "ballot_year": current.programme_year,
                    **{k: v for k, v in _columns(cast.ballot).items() if k not in ("id", "programme_year")},
                }
                for _, cast, current in done
            ],
        )
        await conn.execute(
            _MARK_AGAIN,
            [{"mark_id": cast.mark.id, "at": cast.mark.last_cast_at, "by": cast.mark.cast_by} for _, cast, _ in done],
        )
    return [(p, cast) for p, cast, _ in done]


async def cast_online(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID, choices: list[int], key: bytes
) -> CastResult:
    """A resident casts (or changes) their ballot; they must be on the roll of the round's community."""
    return await cast_online_on(await session.connection(), principal, round_id, choices, key)


async def cast_online_on(
    conn: Any, principal: Principal, round_id: uuid.UUID, choices: list[int], key: bytes
) -> CastResult:
    """cast_online on a connection that runs Core statements: the route's session's, or the fast lane's
    executor (app/voting/fast.py, app.common.compiled). The statements and the decisions are the same."""
    # The round share-locked (closing waits for casts in flight) and the caller's roll entry, in one query.
    rnd = _admit_online(
        (await conn.execute(_ROUND_WITH_ENTRY, {"round_id": round_id, "digest": principal.phone_digest})).first()
    )
    rule = rounds_service.ballot_rule(rnd)
    return await _store(
        conn,
        key,
        rnd,
        rnd.programme_year,
        rule,
        rnd.entry_id,
        rnd.entry_household,
        BallotChannel.online,
        _choices(_costs(rnd.costs), rnd, rule, choices),
        principal.actor,
        None,
        voted=rnd.entry_voted,
    )


async def cast_paper(
    session: AsyncSession,
    principal: Principal,
    rnd: VotingRound,
    roll_entry_id: uuid.UUID,
    choices: list[int],
    sheet_ref: str | None,
    key: bytes,
) -> CastResult:
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
    year = (
        await session.execute(select(col(Programme.year)).where(col(Programme.id) == rnd.programme_id))
    ).scalar_one()
    conn = await session.connection()
    return await _store(
        conn, key, rnd, year, rule, entry.id, entry.household, BallotChannel.paper, choices, principal.actor, sheet_ref
    )


async def my_ballot(session: AsyncSession, principal: Principal, round_id: uuid.UUID, key: bytes) -> dict[str, Any]:
    """Whether the caller may vote in the round, and their current ballot (choices only ever shown to them, and
    only until the close: from then on their ballot is no longer theirs to find)."""
    return await my_ballot_on(await session.connection(), principal, round_id, key)


async def my_ballot_on(conn: Any, principal: Principal, round_id: uuid.UUID, key: bytes) -> dict[str, Any]:
    """my_ballot on a connection that runs Core statements (the route's session's, or the fast lane's)."""
    rnd = (await conn.execute(_ROUND_FOR_VOTER, {"round_id": round_id, "digest": principal.phone_digest})).first()
    if rnd is None:
        raise NotFound("No voting round with that id.", code="round_not_found")
    out: dict[str, Any] = {
        "round_id": rnd.id,
        "on_roll": rnd.entry_id is not None,
        "phase": rounds_service.phase_of(rnd),
        "ballot": None,
        "earlier_versions": 0,
    }
    if rnd.entry_id is None:
        return out
    voter = rules.voter_key(rounds_service.ballot_rule(rnd), str(rnd.entry_id), rnd.entry_household)
    seen = {
        "round_id": rnd.id,
        "voter_key": voter,
        "voter_tag": secrecy.voter_tag(key, rnd.id, voter),
        "entry_id": rnd.entry_id,
    }
    mark = (await conn.execute(_MARK_SEEN, seen)).first()
    if mark is None:
        return out
    if mark.roll_entry_id != rnd.entry_id:
        out["ballot"] = {"cast_by_household_member": True, "channel": mark.channel, "cast_at": mark.last_cast_at}
        return out
    out["ballot"] = {
        "cast_by_household_member": False,
        "channel": mark.channel,
        "version": mark.casts,
        "choices": mark.choices,
        "cast_at": mark.last_cast_at,
    }
    out["earlier_versions"] = mark.casts - 1
    return out


async def check_receipt(session: AsyncSession, code: str) -> dict[str, Any]:
    """Where the ballot of a receipt stands: recorded, counted, superseded or not counted; never its choices.
    A counted ballot's line in the public .pb is named to the holder of the code, and to nobody else."""
    return await check_receipt_on(await session.connection(), code)


async def check_receipt_on(conn: Any, code: str) -> dict[str, Any]:
    """check_receipt on a connection that runs Core statements (the route's session's, or the fast lane's)."""
    params: dict[str, Any] = {"digest": rules.receipt_digest(code)}
    if hinted := rules.hinted_rounds(code):
        way, params["lo"], params["hi"] = "hinted", *hinted
    else:
        way = "legacy"
    current = (await conn.execute(_BY_RECEIPT[way], params)).first()
    round_id, status, line = (current.round_id, "counted", current.id) if current else (None, "superseded", None)
    if current is None:
        round_id = (await conn.execute(_SUPERSEDED_BY_RECEIPT[way], params)).scalar()
    if round_id is None:
        raise NotFound("没有这个回执码的选票。No ballot has that receipt code.", code="receipt_not_found")
    rnd = (await conn.execute(_ROUND_STANDING, {"round_id": round_id})).first()
    if rnd is None:
        raise NotFound("No voting round with that id.", code="round_not_found")
    if rnd.status == RoundStatus.cancelled:
        status = "not_counted"
    elif rnd.status != RoundStatus.closed and status == "counted":
        status = "recorded"
    return {
        "round_id": rnd.id,
        "round_title": rnd.title,
        "status": status,
        "pb_voter_id": str(line) if status == "counted" else None,
    }


async def cut_voter_links(session: AsyncSession, round_id: uuid.UUID) -> None:
    """At the close, for good: the round's ballots and replaced versions written again under fresh ids (the
    close's time and random bits, secrecy.counted_ballot_id), in random order and without voter tags, and the
    stored answers of its casts (Idempotency-Key) deleted. The vote marks stay: the roll keeps that each voter
    voted, and how."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(_REKEY_PG, {"round_id": round_id})
    else:
        closed_at = utcnow()
        for table, columns in (
            (_BALLOT, ("programme_year", "round_id", "choices", "choice_mask", "receipt_digest")),
            (_HISTORY, ("programme_year", "round_id", "choices", "receipt_digest")),
        ):
            rows = await conn.execute(select(*(table.c[c] for c in columns)).where(table.c.round_id == round_id))
            fresh = sorted(
                ({"id": secrecy.counted_ballot_id(closed_at), **row._mapping} for row in rows.all()),
                key=lambda r: r["id"],
            )
            await conn.execute(delete(table).where(table.c.round_id == round_id))
            if fresh:
                await conn.execute(insert(table), fresh)
    await idempotency_service.forget_targets(session, [target.format(round_id=round_id) for target in CAST_TARGETS])


async def profile_of(session: AsyncSession, round_id: uuid.UUID) -> dict[int, int]:
    """The round's current ballots grouped by choices: choice mask -> number of ballots."""
    rows = await session.execute(
        select(Ballot.choice_mask, func.count()).where(Ballot.round_id == round_id).group_by(Ballot.choice_mask)
    )
    return {int(mask): int(count) for mask, count in rows}


async def points_profile_of(session: AsyncSession, round_id: uuid.UUID) -> dict[tuple[int, ...], int]:
    """A cumulative or ranked round's current ballots grouped by their stored choices (a cumulative ballot's
    sorted, a project once per point; a ranking in its order) -> number of ballots."""
    out: dict[tuple[int, ...], int] = {}
    for choices in await session.scalars(select(Ballot.choices).where(Ballot.round_id == round_id)):
        key = tuple(choices)
        out[key] = out.get(key, 0) + 1
    return out
