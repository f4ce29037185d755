"""The voting routes' fast lane (app/fastlane): casting and changing a ballot, the evening's busiest write, a
resident's own ballot and the public receipt check.

`POST /api/v1/voting/rounds/{round_id}/ballots` without an Idempotency-Key, from a resident's access token,
with a JSON body the route's model accepts. On PostgreSQL the handler first plans the cast
(ballots_service.plan_online: the route's statement and checks, read without a lock) and hands it to the
worker's group commit (app.common.coalescer): the casts arriving together, first ballots and changes, are stored
in one transaction by ballots_service.store_planned (the route's statements and decisions; each round
share-locked and checked open again, so a close counts exactly the acknowledged ballots; a change under the
lock of the voter's mark and ballot). A cast the batch did not store (a household's second, a paper voter's, a
round closed meanwhile), and every cast on SQLite, runs the route's own service (ballots_service.cast_online_on)
in one transaction. The answer is the route's receipt model.
Anything else (another caller, a keyed request, a body or id the route would refuse) and every refusal the
service raises leave nothing written and go to the route, which answers with its own problem.

`GET /api/v1/voting/my-rounds` and `GET .../rounds/{round_id}/my-ballot` (a resident's access token) and
`GET /api/v1/public/voting/receipts/{code}` (a code of the route's form) read in autocommit through
rounds_service.rounds_for_voter_on, ballots_service.my_ballot_on and check_receipt_on, and answer with the
route's models; a refusal is the route's.
"""

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from asyncpg import PostgresError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.types import Scope

from app.auth import service as auth_service
from app.auth.models import Role
from app.common.coalescer import Coalescer
from app.common.compiled import autocommit, transaction
from app.core.errors import ProblemError
from app.fastlane.lane import FastRoute, bearer, header, json_body, state
from app.voting import ballots_service, rounds_service
from app.voting.schemas import BallotCast, MyBallotRead, ReceiptCheck, RoundRead
from app.voting.secrecy import ballot_key
from app.voting.views import receipt, round_view


class _ToTheRoute(Exception):
    """Not the fast lane's to answer: roll back, the route answers."""


async def cast_ballot(scope: Scope, params: dict[str, str], body: bytes) -> JSONResponse | None:
    """The route's 201 for a cast or a change of ballot, or None (nothing written) for the route to answer."""
    token = bearer(scope)
    if (
        token is None
        or token.startswith(auth_service.API_TOKEN_PREFIX)
        or not json_body(scope)
        or header(scope, b"idempotency-key") is not None
    ):
        return None
    try:
        round_id = uuid.UUID(params["round_id"])
        choices = BallotCast.model_validate(json.loads(body)).choices
    except (ValueError, ValidationError):
        return None
    settings, engine = state(scope).settings, state(scope).engine
    principal = None
    if engine.dialect.name == "postgresql":
        try:
            async with autocommit(engine) as conn:
                principal = await auth_service.principal_of_access_token(conn, settings, token)
                if principal.role != Role.resident:
                    return None
                planned = await ballots_service.plan_online(
                    conn, principal, round_id, choices, ballot_key(settings.secret_key)
                )
            if (stored := await _casts(state(scope)).submit(planned)) is not None:
                return _receipt(stored)
        except (ProblemError, PostgresError):
            return None  # nothing written: the route answers (or refuses with its problem)
        # Not stored by the batch (a household's ballot, a paper voter's, the round closed meanwhile): the
        # service's own transaction decides, for the caller just read (autocommit, as the route's session reads
        # it: a committed revocation is seen either way).
    try:
        async with transaction(engine) as conn:
            if principal is None:
                principal = await auth_service.principal_of_access_token(conn, settings, token)
            if principal.role != Role.resident:
                raise _ToTheRoute
            cast = await ballots_service.cast_online_on(
                conn, principal, round_id, choices, ballot_key(settings.secret_key)
            )
    except (ProblemError, _ToTheRoute, PostgresError):
        return None  # rolled back: the route answers (or refuses with its problem)
    return _receipt(cast)


def _receipt(cast: ballots_service.CastResult) -> JSONResponse:
    return JSONResponse(receipt(cast).model_dump(mode="json", by_alias=True), status_code=201)


def _casts(app_state: Any) -> Coalescer[ballots_service.PlannedCast, ballots_service.CastResult | None]:
    """The worker's group commit of online casts (app.common.coalescer): the first ballots and changes arriving
    together are stored in one transaction (ballots_service.store_planned), so they share its round trips, its
    commit and its WAL flush."""
    if (batches := getattr(app_state, "planned_casts", None)) is None:
        engine = app_state.engine

        async def store(
            planned: Sequence[ballots_service.PlannedCast],
        ) -> list[ballots_service.CastResult | None]:
            async with transaction(engine) as conn:
                return await ballots_service.store_planned(conn, list(planned))

        batches = app_state.planned_casts = Coalescer(store)
    return batches


async def my_ballot(scope: Scope, params: dict[str, str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for a resident's own ballot, or None for the route to answer."""
    token = bearer(scope)
    if token is None or token.startswith(auth_service.API_TOKEN_PREFIX) or scope.get("query_string"):
        return None
    settings = state(scope).settings
    try:
        round_id = uuid.UUID(params["round_id"])
        async with autocommit(state(scope).engine) as conn:
            principal = await auth_service.principal_of_access_token(conn, settings, token)
            if principal.role != Role.resident:
                return None
            found = await ballots_service.my_ballot_on(conn, principal, round_id, ballot_key(settings.secret_key))
    except (ValueError, ProblemError, PostgresError):
        return None
    return JSONResponse(MyBallotRead.model_validate(found).model_dump(mode="json", by_alias=True))


_ROUNDS = TypeAdapter(list[RoundRead])


async def my_rounds(scope: Scope, _params: dict[str, str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for the rounds a resident may vote in, or None for the route to answer."""
    token = bearer(scope)
    if token is None or token.startswith(auth_service.API_TOKEN_PREFIX) or scope.get("query_string"):
        return None
    try:
        async with autocommit(state(scope).engine) as conn:
            principal = await auth_service.principal_of_access_token(conn, state(scope).settings, token)
            if principal.role != Role.resident:
                return None
            rounds = await rounds_service.rounds_for_voter_on(conn, principal.phone_digest)
    except (ProblemError, PostgresError):
        return None
    views = _ROUNDS.validate_python([round_view(rnd, projects) for rnd, projects in rounds])
    return JSONResponse(_ROUNDS.dump_python(views, mode="json", by_alias=True))


_RECEIPT_CODE = re.compile(r"[A-Za-z2-7-]{16,24}")  # the route's Path(min_length, max_length, pattern)


async def check_receipt(scope: Scope, params: dict[str, str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for a receipt code, or None for the route to answer."""
    code = params["code"]
    if scope.get("query_string") or not _RECEIPT_CODE.fullmatch(code):
        return None
    try:
        async with autocommit(state(scope).engine) as conn:
            found = await ballots_service.check_receipt_on(conn, code)
    except (ProblemError, PostgresError):
        return None
    return JSONResponse(ReceiptCheck.model_validate(found).model_dump(mode="json", by_alias=True))


ROUTES = (
    FastRoute("POST", "/api/v1/voting/rounds/{round_id}/ballots", cast_ballot),
    FastRoute("GET", "/api/v1/voting/my-rounds", my_rounds),
    FastRoute("GET", "/api/v1/voting/rounds/{round_id}/my-ballot", my_ballot),
    FastRoute("GET", "/api/v1/public/voting/receipts/{code}", check_receipt),
)
