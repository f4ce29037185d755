"""The `Idempotency` dependency endpoints declare, and the handler that renders a replayed response.

Usage (a write that a mobile client may retry)::

    @router.post("/things", status_code=201, response_model=ThingRead,
                 responses=problems(401, 403, *IDEMPOTENCY_PROBLEMS))
    async def create_thing(body: ThingCreate, session: SessionDep, principal: Writer, idem: Idempotency):
        thing = await service.create(session, principal.actor, body)
        return await idem.respond(session, 201, ThingRead.model_validate(thing))

Without an Idempotency-Key header nothing happens and `respond` just builds the JSONResponse.
With one, the key is claimed before the endpoint runs; a repeat of a completed request never reaches
the endpoint (IdempotentReplay is raised and rendered as the stored status and body, plus the header
`Idempotent-Replayed: true`); `respond` stores the response in the request's own transaction, so the
effect and the stored response commit together. If the endpoint raises, the claim is released.

Rules for endpoints: answer only through `idem.respond` (pass the response model, since a returned
Response skips response_model); declare `idem` after the role gate (a refused caller claims nothing)
and before any dependency that writes through the session (on SQLite the claim needs the write lock).
create_app must call `install_idempotency(app)` once; a keyed request fails loudly until it does.
"""

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.deps import OptionalPrincipal
from app.auth.principal import Principal
from app.core.errors import BadRequest, Conflict
from app.idempotency import rules, service
from app.idempotency.service import Claim, IdempotentReplay
from app.ratelimit.client import client_ip

log = logging.getLogger("weishi.idempotency")
REPLAYED_HEADER = "Idempotent-Replayed"
# Problems any idempotent endpoint may answer besides its own (bad key, key reused, key in flight).
IDEMPOTENCY_PROBLEMS = (400, 409, 422)


class IdempotencyContext:
    """What an endpoint gets from `Idempotency`; answer through `respond` so the response is stored."""

    def __init__(self, held: Claim | None, settings: Any = None, secret: bool = False) -> None:
        self.held = held
        self.completed = False
        self.settings = settings
        self.secret = secret

    async def respond(self, session: AsyncSession, status_code: int, payload: Any) -> JSONResponse:
        """The JSON response; with a key, also stored in session's transaction for later replays."""
        # A pydantic model serialises itself (in Rust) several times faster than the generic encoder walks it.
        content = (
            payload.model_dump(mode="json", by_alias=True)
            if isinstance(payload, BaseModel)
            else jsonable_encoder(payload)
        )
        response = JSONResponse(content, status_code=status_code)
        if self.held is not None:
            body = response.body.decode()
            if not await service.complete(
                session, self.held, status_code, service.seal(self.settings, body) if self.secret else body
            ):
                # Our lease ran out and another request took the key over: it alone may take effect.
                raise Conflict(
                    "This request outlived its Idempotency-Key lease and was taken over; "
                    "retry to get the other request's result.",
                    code="idempotency_lease_lost",
                )
            self.completed = True
        return response


def _principal_key(request: Request, principal: Principal) -> str:
    # Public writes have no identity; their keys are scoped by client address instead.
    return f"anonymous:{client_ip(request)}" if principal.kind == "anonymous" else principal.key


def _claiming(secret: bool) -> Any:
    """The dependency; `secret`: answers are stored sealed and bodies fingerprinted with a key."""

    async def _idempotency(
        request: Request,
        principal: OptionalPrincipal,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description="Any 1-255 printable characters, unique per intended write "
                "(a UUID is best). Repeating a request with the same key and body returns the first result.",
            ),
        ] = None,
    ) -> AsyncIterator[IdempotencyContext]:
        """Claim the request's Idempotency-Key (if any), replay a completed one, release it if the request fails."""
        if idempotency_key is None:
            yield IdempotencyContext(None, secret=secret)
            return
        key = rules.parse_key(idempotency_key)
        if key is None:
            raise BadRequest(
                "The Idempotency-Key header must be 1-255 printable ASCII characters.", code="invalid_idempotency_key"
            )
        if IdempotentReplay not in request.app.exception_handlers:
            raise RuntimeError("Idempotency used but install_idempotency(app) was not called in create_app")
        # The claim takes its own pooled connection: give back the request's (it has only read the caller so
        # far) so that no request holds two at once; a burst of keyed requests larger than half the pool
        # otherwise starved it, every request holding one connection while waiting for a second.
        session = getattr(request.state, "db_session", None)
        if session is not None:
            await session.commit()
        state = request.app.state
        target = rules.request_target(request.url.path, request.url.query)
        fingerprint = rules.fingerprint(
            request.method, target, await request.body(), service.fingerprint_key(state.settings) if secret else None
        )
        held = await service.claim(
            state.sessionmaker,
            state.settings,
            _principal_key(request, principal),
            key,
            request.method,
            target,
            fingerprint,
        )
        ctx = IdempotencyContext(held, state.settings, secret)
        try:
            yield ctx
        except BaseException:
            await service.release(state.sessionmaker, held)
            raise
        if not ctx.completed:
            log.error(
                "%s %s declares Idempotency but answered without idem.respond(); its key stays claimed "
                "until the lease ends",
                request.method,
                request.url.path,
            )

    return _idempotency


# scope="request": on failure the exit runs after the request's session has rolled back, so releasing
# the key on a second connection never waits for the request's own SQLite write lock.
Idempotency = Annotated[IdempotencyContext, Depends(_claiming(secret=False), scope="request")]
# For writes whose answer says how someone voted: stored sealed, fingerprinted with a key (docs/security.md).
SecretIdempotency = Annotated[IdempotencyContext, Depends(_claiming(secret=True), scope="request")]


async def _render_replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return Response(exc.body, status_code=exc.status, media_type="application/json", headers={REPLAYED_HEADER: "true"})


def install_idempotency(app: FastAPI) -> None:
    """Register the handler that answers a replay with the stored response (call once in create_app)."""
    app.add_exception_handler(IdempotentReplay, _render_replay)
