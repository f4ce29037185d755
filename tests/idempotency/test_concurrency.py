"""Real concurrency on PostgreSQL: of many simultaneous requests with one key, exactly one takes effect."""

import asyncio
import json
from collections import Counter

import pytest

from app.idempotency.rules import fingerprint
from tests.idempotency.conftest import URL, add_record, counts

pytestmark = pytest.mark.postgres_only


async def _ten(api, body: bytes):
    headers = {"Idempotency-Key": "k-1", "Content-Type": "application/json"}
    return await asyncio.gather(*(api.post(URL, content=body, headers=headers) for _ in range(10)))


async def test_ten_concurrent_requests_one_key_one_effect(api, idem_app):
    body = json.dumps({"name": "甲", "delay": 0.3}).encode()
    responses = await _ten(api, body)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert all(
        r.json()["code"] == "idempotency_in_flight" and int(r.headers["retry-after"]) >= 1
        for r in responses
        if r.status_code == 409
    )
    assert await counts(idem_app) == (1, 1, 1)
    winner = next(r for r in responses if r.status_code == 201)
    replay = (await _ten(api, body))[0]
    assert (replay.status_code, replay.content) == (201, winner.content)
    assert await counts(idem_app) == (1, 1, 1)


async def test_ten_concurrent_takeovers_of_a_dead_claim_one_effect(api, idem_app):
    body = json.dumps({"name": "甲", "delay": 0.3}).encode()
    await add_record(idem_app, "anonymous:203.0.113.10", "k-1", fingerprint("POST", URL, body), lease_s=-1)
    responses = await _ten(api, body)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert await counts(idem_app) == (1, 1, 1)
