"""A test-only idempotent endpoint (mounted per test, never shipped): creates an organisation and audits it."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.deps import OptionalPrincipal
from app.auth.models import Organisation, OrganisationKind
from app.common.models import utcnow
from app.core.db import SessionDep
from app.core.errors import Conflict
from app.idempotency.deps import Idempotency, install_idempotency
from app.idempotency.models import IdempotencyRecord, IdempotencyStatus
from app.idempotency.service import IdempotentReplay

URL = "/test-idem/orgs"


class OrgIn(BaseModel):
    name: str
    fail: bool = False
    delay: float = 0
    hold: bool = False  # wait until the test opens app.state.idem_gate


def _router() -> APIRouter:
    router = APIRouter()

    @router.post(URL, status_code=201)
    async def create_org(
        body: OrgIn, request: Request, session: SessionDep, principal: OptionalPrincipal, idem: Idempotency
    ):
        if body.delay:
            await asyncio.sleep(body.delay)  # lets concurrent retries overlap with this one
        if body.hold:
            await request.app.state.idem_gate.wait()
        org = Organisation(name=body.name, kind=OrganisationKind.other)
        session.add(org)
        await session.flush()
        await audit.record(
            session, principal.actor, "organisation.create", "organisation", org.id, after={"name": org.name}
        )
        if body.fail:
            raise Conflict("Refused after writing.", code="test_refused")
        return await idem.respond(session, 201, {"id": org.id, "name": org.name})

    return router


@pytest.fixture
def idem_app(app):
    """The app with the replay handler and the test endpoint."""
    if IdempotentReplay not in app.exception_handlers:
        install_idempotency(app)
    app.include_router(_router())
    app.state.idem_gate = asyncio.Event()
    return app


@pytest.fixture
async def api(idem_app, client) -> httpx.AsyncClient:
    """The standard client, talking to the app with the test endpoint."""
    return client


async def claimed(app, key: str = "k-1") -> None:
    """Wait until a request has claimed key (it is then running its handler)."""
    for _ in range(500):
        async with app.state.sessionmaker() as s:
            if await s.scalar(select(IdempotencyRecord.id).where(IdempotencyRecord.key == key)):
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no claim of {key!r} appeared")


def other_client(app, ip: str) -> httpx.AsyncClient:
    """A client connecting from another address."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def counts(app) -> tuple[int, int, int]:
    """(organisations, audit events, idempotency records)."""
    async with app.state.sessionmaker() as s:
        return tuple(
            [await s.scalar(select(func.count()).select_from(m)) for m in (Organisation, AuditEvent, IdempotencyRecord)]
        )


async def add_record(
    app,
    principal_key: str,
    key: str,
    fingerprint: str,
    *,
    status=IdempotencyStatus.in_flight,
    lease_s: float = 30,
    expires_s: float = 3600,
    response=None,
) -> IdempotencyRecord:
    """A stored record as another request would have left it."""
    now = utcnow()
    record = IdempotencyRecord(
        id=uuid.uuid4(),
        principal_key=principal_key,
        key=key,
        method="POST",
        path=URL,
        request_fingerprint=fingerprint,
        status=status,
        locked_until=now + timedelta(seconds=lease_s),
        expires_at=now + timedelta(seconds=expires_s),
        created_at=now,
        response_status=response and response[0],
        response_body=response and response[1],
    )
    async with app.state.sessionmaker() as s:
        s.add(record)
        await s.commit()
    return record
