"""A resident's first online ballot on PostgreSQL, taken before the framework (app.common.shortcut): the city's
busiest write.

Of `POST /api/v1/voting/rounds/{id}/ballots` it takes only the plain case: a resident's access token
whose login session is live, a body the route's model accepts, an open round whose roll holds the caller, no
ballot yet from them or their household, and an Idempotency-Key (if any) not used before. It reads all of that
in one statement and stores the voter's mark, the ballot and the audit event in a second. Casts arriving
together share both statements (app.common.coalescer): one read for all their callers, one write for all their
ballots, in one transaction. The write share-locks the rounds and checks again that each is open, so closing
(which takes the update lock) still counts exactly the ballots that were acknowledged; a voter whose ballot did
not go in (cast meanwhile, or by their household in the same batch) is left to the route. With a key, the cast
writes alone: its statement also stores the key's record, completed with the answer (sealed, as the route seals
it), and commits only if the key's record and the ballot both went in, so a retry with the key replays the
answer through the route and never casts twice.

In every other case it has written nothing, and the request goes on to the route, which does it all again in
a transaction and answers, or refuses with the right problem. The checks themselves are the route's
(ballots_service.first_online_ballot); this module only fetches and stores.
"""

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from asyncpg import PostgresError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from starlette.types import Scope

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.jwt import InvalidToken, decode_access_token
from app.auth.models import Role
from app.auth.principal import Principal
from app.common.coalescer import Coalescer
from app.common.shortcut import driver_connection, header, on_postgresql
from app.errors import ProblemError
from app.idempotency import rules as idempotency_rules
from app.idempotency import service as idempotency_service
from app.idempotency.models import IdempotencyStatus
from app.voting import ballots_service
from app.voting.models import Ballot, RoundStatus, VoteMark
from app.voting.schemas import BallotCast
from app.voting.secrecy import ballot_key
from app.voting.views import receipt

# For each (user, session, round) asked: the caller's user and login session (judged by the route's own rule,
# auth.service.session_admits), the round, its "number:cost" list and the caller's roll entry; `n` is the
# position of the question (from 1).
_READ = """
SELECT q.n, u.role, u.display_name, u.phone_digest, u.is_active, s.revoked_at,
       r.id, r.community_id, r.status, r.opens_at, r.closes_at, r.budget_fen, r.ballot_rule, r.region_path,
       (SELECT string_agg(p.number || ':' || p.cost_fen, ',') FROM round_project p WHERE p.round_id = r.id) AS costs,
       (SELECT g.year FROM programme g WHERE g.id = r.programme_id) AS programme_year,
       e.id AS entry_id, e.household AS entry_household
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS q(user_id, session_id, round_id, n)
JOIN app_user u ON u.id = q.user_id
JOIN auth_session s ON s.id = q.session_id AND s.user_id = u.id
JOIN voting_round r ON r.id = q.round_id
LEFT JOIN voter_roll_entry e
       ON e.community_id = r.community_id AND e.phone_digest = u.phone_digest AND e.removed_at IS NULL
"""
_BALLOT_COLUMNS = tuple(field.name for field in fields(ballots_service.CastBallot))  # a ballot row's columns
_MARK_COLUMNS = tuple(field.name for field in fields(ballots_service.CastMark))  # a vote mark's columns
_CHOICES = _BALLOT_COLUMNS.index("choices")
_EVENT_COLUMNS = ("id", "occurred_at", "ordinal", "actor_type", "actor_id", "actor_label", "action", "entity_type",
                  "entity_id", "region_path", "after", "request_id")
_KEY_COLUMNS = ("id", "principal_key", "key", "method", "path", "request_fingerprint", "status", "response_status",
                "response_body", "locked_until", "created_at", "expires_at")


def _placeholders(columns: tuple[str, ...], first: int) -> str:
    return ", ".join(f"${first + i}" for i in range(len(columns)))


def _array_types(table: Table, columns: tuple[str, ...]) -> list[str]:
    return [f"{table.c[column].type.compile(dialect=postgresql.dialect())}[]" for column in columns]


def _unnest(table: Table, columns: tuple[str, ...], first: int, alias: str) -> str:
    """`unnest($first::type[], ...) WITH ORDINALITY AS alias(columns, n)`: one array parameter per column of
    table, and each row's position (from 1)."""
    arrays = ", ".join(f"${first + i}::{t}" for i, t in enumerate(_array_types(table, columns)))
    return f"unnest({arrays}) WITH ORDINALITY AS {alias}({', '.join(columns)}, n)"


def _listed(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{column}" for column in columns)


_OPEN = f"status NOT IN ('{RoundStatus.closed}', '{RoundStatus.cancelled}')"
_N_BALLOT, _N_MARK, _N_EVENT = len(_BALLOT_COLUMNS), len(_MARK_COLUMNS), len(_EVENT_COLUMNS)
# A batch of first ballots with their voters' marks and audit events, in one statement and one transaction
# (autocommit). The rounds are share-locked and checked open at each cast's time; marks go in in (round, voter)
# order, so two batches never wait on each other's keys crosswise; a ballot and an event go in only with their
# mark. Returns the positions (from 1) of the casts that went in (a voter who already has a mark, or a closed
# round, gets none).
_WRITE = f"""
WITH cast_mark AS (
    SELECT * FROM {_unnest(VoteMark.__table__, _MARK_COLUMNS, 1, "m")}
), open_round AS (
    SELECT id, opens_at, closes_at FROM voting_round
    WHERE id IN (SELECT round_id FROM cast_mark) AND {_OPEN}
    FOR SHARE
), new_mark AS (
    INSERT INTO vote_mark ({", ".join(_MARK_COLUMNS)})
    SELECT {_listed("m", _MARK_COLUMNS)} FROM cast_mark m JOIN open_round r ON r.id = m.round_id
    WHERE r.opens_at <= m.last_cast_at AND r.closes_at > m.last_cast_at
    ORDER BY m.round_id, m.voter_key
    ON CONFLICT (round_id, voter_key) DO NOTHING
    RETURNING id
), went_in AS (
    SELECT n FROM cast_mark WHERE id IN (SELECT id FROM new_mark)
), new_ballot AS (
    INSERT INTO ballot ({", ".join(_BALLOT_COLUMNS)})
    SELECT {_listed("b", _BALLOT_COLUMNS)} FROM {_unnest(Ballot.__table__, _BALLOT_COLUMNS, _N_MARK + 1, "b")}
    WHERE b.n IN (SELECT n FROM went_in)
), event AS (
    INSERT INTO audit_event ({", ".join(_EVENT_COLUMNS)})
    SELECT {_listed("e", _EVENT_COLUMNS)}
    FROM {_unnest(AuditEvent.__table__, _EVENT_COLUMNS, _N_MARK + _N_BALLOT + 1, "e")}
    WHERE e.n IN (SELECT n FROM went_in)
)
SELECT n FROM went_in
"""  # noqa: S608 (only column names, types and placeholders are formatted in)
# One keyed first ballot: the mark, the ballot, its audit event and the Idempotency-Key's record holding the
# answer. The mark goes in only if the key's record did, the ballot and event only with the mark; the caller
# commits only if both the key's record and the mark went in.
_ROUND_ID, _CAST_AT = (_MARK_COLUMNS.index(c) + 1 for c in ("round_id", "last_cast_at"))
_WRITE_KEYED = f"""
WITH new_key AS (
    INSERT INTO idempotency_record ({", ".join(_KEY_COLUMNS)})
    VALUES ({_placeholders(_KEY_COLUMNS, _N_MARK + _N_BALLOT + _N_EVENT + 1)})
    ON CONFLICT (principal_key, key) DO NOTHING
    RETURNING id
), open_round AS (
    SELECT id FROM voting_round
    WHERE id = ${_ROUND_ID} AND {_OPEN} AND opens_at <= ${_CAST_AT} AND closes_at > ${_CAST_AT}
    FOR SHARE
), new_mark AS (
    INSERT INTO vote_mark ({", ".join(_MARK_COLUMNS)})
    SELECT {_placeholders(_MARK_COLUMNS, 1)} FROM open_round WHERE EXISTS (SELECT 1 FROM new_key)
    ON CONFLICT (round_id, voter_key) DO NOTHING
    RETURNING id
), new_ballot AS (
    INSERT INTO ballot ({", ".join(_BALLOT_COLUMNS)})
    SELECT {_placeholders(_BALLOT_COLUMNS, _N_MARK + 1)} FROM new_mark
), event AS (
    INSERT INTO audit_event ({", ".join(_EVENT_COLUMNS)})
    SELECT {_placeholders(_EVENT_COLUMNS, _N_MARK + _N_BALLOT + 1)} FROM new_mark
)
SELECT EXISTS (SELECT 1 FROM new_mark) AND EXISTS (SELECT 1 FROM new_key)
"""  # noqa: S608 (as above)


class _Declined(Exception):
    """Keyed, and not both of the key's record and the ballot went in: roll back, leave it to the route."""


PATH = r"/api/v1/voting/rounds/([0-9a-fA-F-]{36})/ballots"


def _key_record(scope: Scope, settings: Any, principal: Principal, key: str, body: bytes, answer: JSONResponse,
                now: datetime) -> list[Any]:
    """The Idempotency-Key's record, completed with the answer: as the route's claim and respond leave it (for a
    ballot: the answer sealed, the body's fingerprint keyed)."""
    target = idempotency_rules.request_target(scope["path"], scope.get("query_string", b"").decode("latin-1"))
    fingerprint = idempotency_rules.fingerprint("POST", target, body, idempotency_service.fingerprint_key(settings))
    record = {"id": uuid.uuid4(), "principal_key": principal.key, "key": key, **idempotency_service.record_values(
        settings, "POST", target, fingerprint, now, IdempotencyStatus.completed, answer.status_code,
        idempotency_service.seal(settings, answer.body.decode()))}
    return [record[column] for column in _KEY_COLUMNS]


@dataclass(frozen=True)
class _Request:
    """What a ballot request says, once it looks like the plain case."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    round_id: uuid.UUID
    choices: list[int]
    key: str | None


def _plain_request(scope: Scope, round_id: str, body: bytes) -> _Request | None:
    """The request, if its token verifies and its body and key are valid; None for the route to answer."""
    authorization = header(scope, b"authorization") or ""
    raw_key = header(scope, b"idempotency-key")
    key = None if raw_key is None else idempotency_rules.parse_key(raw_key)
    if ((raw_key is not None and key is None) or not authorization.startswith("Bearer ")
            or (header(scope, b"content-type") or "").split(";")[0].strip() != "application/json"):
        return None
    try:
        claims = decode_access_token(scope["app"].state.settings, authorization[7:].strip())
        choices = BallotCast.model_validate(json.loads(body)).choices
        return _Request(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), uuid.UUID(round_id), choices, key)
    except (InvalidToken, ValidationError, ValueError):
        return None


@dataclass
class _Batches:
    """A worker's two coalescers (app.common.coalescer): the reads of the casts arriving together share a
    statement, and so do their writes."""

    reads: Coalescer[tuple[uuid.UUID, uuid.UUID, uuid.UUID], Any]
    writes: Coalescer[tuple[list[Any], list[Any], list[Any]], bool]


def _batches(state: Any) -> _Batches:
    if (batches := getattr(state, "first_ballot_batches", None)) is None:
        engine = state.engine

        async def read(asked: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> list[Any]:
            async with driver_connection(engine) as driver:
                rows = await driver.fetch(_READ, *(list(column) for column in zip(*asked, strict=True)))
            found: dict[int, Any] = {}
            for row in rows:
                found.setdefault(row["n"], row)
            return [found.get(n) for n in range(1, len(asked) + 1)]

        async def write(casts: Sequence[tuple[list[Any], list[Any], list[Any]]]) -> list[bool]:
            arrays = [list(column) for part in range(3)
                      for column in zip(*(rows[part] for rows in casts), strict=True)]
            async with driver_connection(engine) as driver:
                stored = {row["n"] for row in await driver.fetch(_WRITE, *arrays)}
            return [n in stored for n in range(1, len(casts) + 1)]

        batches = state.first_ballot_batches = _Batches(Coalescer(read), Coalescer(write))
    return batches


async def first_ballot(scope: Scope, path: re.Match[str], body: bytes) -> JSONResponse | None:
    """The 201 of a stored first ballot, or None (nothing written) for the route to deal with."""
    state = scope["app"].state
    if not on_postgresql(scope) or (request := _plain_request(scope, path.group(1), body)) is None:
        return None
    batches = _batches(state)
    try:
        row = await batches.reads.submit((request.user_id, request.session_id, request.round_id))
    except PostgresError:
        return None
    if not auth_service.session_admits(row) or row["role"] != Role.resident:
        return None
    principal = Principal(kind="user", role=Role.resident, user_id=request.user_id, session_id=request.session_id,
                          phone_digest=row["phone_digest"], label=row["display_name"])
    try:
        cast, event = ballots_service.first_online_ballot(principal, SimpleNamespace(**row), request.choices,
                                                          ballot_key(state.settings.secret_key))
    except ProblemError:
        return None
    answer = JSONResponse(receipt(cast).model_dump(mode="json", by_alias=True), status_code=201)
    mark = [getattr(cast.mark, column) for column in _MARK_COLUMNS]
    ballot = [getattr(cast.ballot, column) for column in _BALLOT_COLUMNS]
    ballot[_CHOICES] = json.dumps(cast.ballot.choices)
    event["after"] = json.dumps(event["after"], ensure_ascii=False)
    values = [event[column] for column in _EVENT_COLUMNS]
    try:
        if request.key is None:
            return answer if await batches.writes.submit((mark, ballot, values)) else None
        record = _key_record(scope, state.settings, principal, request.key, body, answer, cast.mark.last_cast_at)
        async with driver_connection(state.engine) as driver, driver.transaction():
            if not await driver.fetchval(_WRITE_KEYED, *mark, *ballot, *values, *record):
                raise _Declined
        return answer
    except (PostgresError, _Declined):
        return None  # refused by the database, or rolled back: nothing was written
