"""Every error is problem+json with a stable code and the request id; bad input changes nothing."""

import uuid

import pytest
from fastapi import APIRouter
from pydantic import Field

from app.common.schemas import WriteModel
from app.core.errors import Conflict

PROBLEM = "application/problem+json"


class _Thing(WriteModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=0, le=10)


@pytest.fixture
async def probe_client(app, client):
    """The app plus a test-only router exercising each failure path."""
    router = APIRouter()

    @router.post("/_probe/things/{thing_id}", status_code=201)
    async def create(thing_id: uuid.UUID, body: _Thing):
        return {"id": str(thing_id), **body.model_dump()}

    @router.post("/_probe/conflict")
    async def conflict():
        raise Conflict("The thing is in a state that forbids this.", code="thing_locked", extra={"allowed": ["a"]})

    @router.get("/_probe/crash")
    async def crash():
        raise RuntimeError("secret internal detail /srv/weishi/app.py line 42")

    app.include_router(router)
    return client


def _is_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client):
    _is_problem(await client.get("/api/v1/nowhere"), 404, "not_found")


async def test_wrong_method_is_405_problem(client):
    _is_problem(await client.post("/healthz"), 405, "method_not_allowed")


async def test_validation_error_lists_fields(probe_client):
    body = _is_problem(
        await probe_client.post(f"/_probe/things/{uuid.uuid4()}", json={"name": "x", "count": 99}),
        422,
        "validation_error",
    )
    assert any(e["loc"][-1] == "count" for e in body["errors"])


async def test_unknown_field_refused(probe_client):
    body = _is_problem(
        await probe_client.post(f"/_probe/things/{uuid.uuid4()}", json={"name": "x", "count": 1, "is_admin": True}),
        422,
        "validation_error",
    )
    assert any(e["type"] == "extra_forbidden" for e in body["errors"])


async def test_overlong_string_and_wrong_type(probe_client):
    _is_problem(
        await probe_client.post(f"/_probe/things/{uuid.uuid4()}", json={"name": "x" * 21, "count": 1}),
        422,
        "validation_error",
    )
    _is_problem(
        await probe_client.post(f"/_probe/things/{uuid.uuid4()}", json={"name": "x", "count": "many"}),
        422,
        "validation_error",
    )


async def test_bad_uuid_in_path(probe_client):
    _is_problem(
        await probe_client.post("/_probe/things/not-a-uuid", json={"name": "x", "count": 1}), 422, "validation_error"
    )


async def test_malformed_json_is_400(probe_client):
    _is_problem(
        await probe_client.post(
            f"/_probe/things/{uuid.uuid4()}", content=b'{"name": "x",', headers={"content-type": "application/json"}
        ),
        400,
        "malformed_json",
    )


async def test_deeply_nested_json_refused_before_parsing(probe_client):
    deep = b"[" * 5000 + b"]" * 5000
    _is_problem(
        await probe_client.post(
            f"/_probe/things/{uuid.uuid4()}", content=deep, headers={"content-type": "application/json"}
        ),
        400,
        "json_too_deep",
    )


async def test_oversized_body_is_413(probe_client, app):
    limit = app.state.settings.max_json_body_bytes
    big = b'{"name": "' + b"x" * (limit + 10) + b'", "count": 1}'
    _is_problem(
        await probe_client.post(
            f"/_probe/things/{uuid.uuid4()}", content=big, headers={"content-type": "application/json"}
        ),
        413,
        "payload_too_large",
    )


async def test_oversized_streamed_body_without_length_is_413(probe_client, app):
    limit = app.state.settings.max_json_body_bytes

    async def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    r = await probe_client.post(
        f"/_probe/things/{uuid.uuid4()}", content=chunks(), headers={"content-type": "text/plain"}
    )
    _is_problem(r, 413, "payload_too_large")


async def test_domain_conflict_carries_code_and_extras(probe_client):
    body = _is_problem(await probe_client.post("/_probe/conflict"), 409, "thing_locked")
    assert body["allowed"] == ["a"]


async def test_crash_is_500_problem_without_internals(probe_client):
    r = await probe_client.get("/_probe/crash")
    body = _is_problem(r, 500, "internal_error")
    assert "secret" not in r.text and "Traceback" not in r.text and "/srv" not in r.text
    assert body["detail"]


async def test_client_request_id_is_echoed(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "frontend-req-12345"})
    assert r.headers["x-request-id"] == "frontend-req-12345"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
