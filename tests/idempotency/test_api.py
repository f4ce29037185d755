"""Idempotency-Key through HTTP: replay, reuse, scoping per principal, release on failure, takeover, expiry."""

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.auth.models import Organisation, Role
from app.common.models import utcnow
from app.idempotency import service
from app.idempotency.models import IdempotencyRecord, IdempotencyStatus
from app.idempotency.rules import fingerprint
from app.idempotency.service import IdempotentReplay
from tests.factories import make_tree, user_for
from tests.idempotency.conftest import URL, add_record, claimed, counts, other_client

PEER_KEY = "anonymous:203.0.113.10"  # the standard client's address


def key_header(key: str, **extra) -> dict[str, str]:
    return {"Idempotency-Key": key, **extra}


def raw(name: str, **fields) -> bytes:
    return json.dumps({"name": name, **fields}).encode()


async def post_raw(client, key: str, body: bytes, **headers):
    return await client.post(
        URL, content=body, headers={"Content-Type": "application/json", **key_header(key), **headers}
    )


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code, r.json()
    return r.json()


async def test_same_key_and_body_replays_the_first_response(api, idem_app):
    first = await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["idempotent-replayed"] == "true"
    assert await counts(idem_app) == (1, 1, 1)


async def test_the_sf_string_form_names_the_same_key(api, idem_app):
    first = await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))
    again = await api.post(URL, json={"name": "甲"}, headers=key_header('"k-1"'))
    assert (again.status_code, again.content) == (201, first.content)
    assert await counts(idem_app) == (1, 1, 1)


async def test_same_key_different_request_is_422(api, idem_app):
    assert (await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))).status_code == 201
    problem(await api.post(URL, json={"name": "乙"}, headers=key_header("k-1")), 422, "idempotency_key_reused")
    # Same body to another target is another request too.
    problem(
        await api.post(f"{URL}?dry_run=1", json={"name": "甲"}, headers=key_header("k-1")),
        422,
        "idempotency_key_reused",
    )
    assert await counts(idem_app) == (1, 1, 1)


async def test_keys_are_scoped_per_principal(api, idem_app, session):
    tree = await make_tree(session)
    _, h1 = await user_for(session, idem_app, tree, Role.community_staff)
    _, h2 = await user_for(session, idem_app, tree, Role.community_staff)
    assert (await api.post(URL, json={"name": "甲"}, headers=key_header("k", **h1))).status_code == 201
    # Another user, another body, same key: independent, so no 422 and a second effect.
    assert (await api.post(URL, json={"name": "乙"}, headers=key_header("k", **h2))).status_code == 201
    # The anonymous public is scoped by client address.
    assert (await api.post(URL, json={"name": "丙"}, headers=key_header("k"))).status_code == 201
    async with other_client(idem_app, "198.51.100.7") as elsewhere:
        assert (await elsewhere.post(URL, json={"name": "丁"}, headers=key_header("k"))).status_code == 201
    problem(await api.post(URL, json={"name": "丁"}, headers=key_header("k")), 422, "idempotency_key_reused")
    assert await counts(idem_app) == (4, 4, 4)
    async with idem_app.state.sessionmaker() as s:
        keys = set((await s.scalars(select(IdempotencyRecord.principal_key))).all())
    assert {PEER_KEY, "anonymous:198.51.100.7"} < keys and len(keys) == 4


async def test_without_a_key_nothing_is_stored(api, idem_app):
    for name in ("甲", "乙"):
        assert (await api.post(URL, json={"name": name})).status_code == 201
    assert await counts(idem_app) == (2, 2, 0)


@pytest.mark.parametrize("value", ["", "x" * 256, "tab\tin key"])
async def test_a_malformed_key_is_400_and_changes_nothing(api, idem_app, value):
    problem(await api.post(URL, json={"name": "甲"}, headers=key_header(value)), 400, "invalid_idempotency_key")
    assert await counts(idem_app) == (0, 0, 0)


async def test_a_non_ascii_key_is_400(api, idem_app):
    r = await api.post(URL, json={"name": "甲"}, headers=[("Idempotency-Key", "键".encode())])
    problem(r, 400, "invalid_idempotency_key")


async def test_a_failed_request_releases_the_key_for_a_corrected_retry(api, idem_app):
    problem(await api.post(URL, json={"name": "甲", "fail": True}, headers=key_header("k-1")), 409, "test_refused")
    assert await counts(idem_app) == (0, 0, 0)  # the effect rolled back and the claim is gone
    r = await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))
    assert r.status_code == 201
    assert await counts(idem_app) == (1, 1, 1)


async def test_a_request_refused_by_validation_releases_the_key(api, idem_app):
    problem(await api.post(URL, json={"nom": "甲"}, headers=key_header("k-1")), 422, "validation_error")
    assert await counts(idem_app) == (0, 0, 0)
    assert (await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))).status_code == 201


async def test_a_live_claim_is_409_with_retry_after(api, idem_app):
    body = raw("甲")
    await add_record(idem_app, PEER_KEY, "k-1", fingerprint("POST", URL, body), lease_s=20)
    r = await post_raw(api, "k-1", body)
    problem(r, 409, "idempotency_in_flight")
    # What is left of the 20 s lease: under a loaded machine seconds pass between the claim and the request.
    assert 1 <= int(r.headers["retry-after"]) <= 20 and r.json()["retry_after"] == int(r.headers["retry-after"])
    assert await counts(idem_app) == (0, 0, 1)


async def test_a_dead_claim_is_taken_over(api, idem_app):
    body = raw("甲")
    dead = await add_record(idem_app, PEER_KEY, "k-1", fingerprint("POST", URL, body), lease_s=-1)
    r = await post_raw(api, "k-1", body)
    assert r.status_code == 201, r.text
    async with idem_app.state.sessionmaker() as s:
        row = await s.get(IdempotencyRecord, dead.id)
    assert row.status == IdempotencyStatus.completed and row.locked_until > dead.locked_until
    assert (row.response_status, row.response_body) == (201, r.text)
    assert await counts(idem_app) == (1, 1, 1)


async def test_an_expired_record_counts_as_absent(api, idem_app):
    old = await add_record(
        idem_app,
        PEER_KEY,
        "k-1",
        "another request's fingerprint",
        status=IdempotencyStatus.completed,
        expires_s=-1,
        response=(200, "{}"),
    )
    r = await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    async with idem_app.state.sessionmaker() as s:
        row = await s.get(IdempotencyRecord, old.id)
    assert row.expires_at > old.expires_at and row.response_status == 201
    assert await counts(idem_app) == (1, 1, 1)


async def test_a_lost_response_retried_gives_one_effect(api, idem_app):
    body = {"name": "甲", "hold": True}
    first = asyncio.create_task(api.post(URL, json=body, headers=key_header("k-1")))
    await claimed(idem_app)
    # The first attempt is still running when the client, having lost patience, retries.
    early = await api.post(URL, json=body, headers=key_header("k-1"))
    problem(early, 409, "idempotency_in_flight")
    idem_app.state.idem_gate.set()
    done = await first  # the server finished; the client never saw this answer
    assert done.status_code == 201
    retry = await api.post(URL, json=body, headers=key_header("k-1"))
    assert (retry.status_code, retry.content) == (201, done.content)
    assert await counts(idem_app) == (1, 1, 1)


async def test_a_request_that_lost_its_lease_takes_no_effect(api, idem_app):
    slow = asyncio.create_task(api.post(URL, json={"name": "甲", "hold": True}, headers=key_header("k-1")))
    await claimed(idem_app)
    # Meanwhile its lease is taken over by another request (simulated): the slow one must not commit.
    async with idem_app.state.sessionmaker() as s:
        await s.execute(update(IdempotencyRecord).values(locked_until=utcnow() + timedelta(seconds=60)))
        await s.commit()
    idem_app.state.idem_gate.set()
    problem(await slow, 409, "idempotency_lease_lost")
    assert await counts(idem_app) == (0, 0, 1)  # no effect, and the new owner's claim is left alone


async def test_purge_expired(idem_app):
    await add_record(idem_app, PEER_KEY, "old", "f", status=IdempotencyStatus.completed, expires_s=-1)
    await add_record(idem_app, PEER_KEY, "live", "f", status=IdempotencyStatus.completed)
    async with idem_app.state.sessionmaker() as s:
        assert await service.purge_expired(s) == 1
        await s.commit()
        assert (await s.scalars(select(IdempotencyRecord.key))).all() == ["live"]


async def test_replays_need_the_handler_installed(api, idem_app):
    idem_app.exception_handlers.pop(IdempotentReplay)
    r = await api.post(URL, json={"name": "甲"}, headers=key_header(str(uuid.uuid4())))
    assert r.status_code == 500
    assert await counts(idem_app) == (0, 0, 0)


async def test_organisation_rows_carry_the_first_response(api, idem_app):
    body = (await api.post(URL, json={"name": "甲"}, headers=key_header("k-1"))).json()
    async with idem_app.state.sessionmaker() as s:
        org = await s.get(Organisation, uuid.UUID(body["id"]))
    assert org.name == "甲"
