"""Races on PostgreSQL: one objection answered twice at once, and conclusion racing the answer."""

import asyncio

import pytest

from tests.notices.helpers import item_numbered, object_to, published, shift
from tests.programmes.helpers import API, ok

pytestmark = pytest.mark.postgres_only


async def test_an_objection_is_answered_once(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    filed = ok(await object_to(client, notice["id"], item_numbered(notice, 1)["id"]), 201)
    decisions = [{"outcome": "upheld", "reply": f"答复{i}", "ground": "finding", "action": "remove"} for i in range(3)]
    decisions += [{"outcome": "dismissed", "reply": f"驳回{i}"} for i in range(3)]
    responses = await asyncio.gather(
        *(client.post(f"{API}/objections/{filed['id']}/decision", headers=pw.h["staff_a1"], json=d) for d in decisions)
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5
    assert all(r.json()["code"] == "objection_closed" for r in responses if r.status_code == 409)
    final = ok(await client.get(f"{API}/public/notices/{notice['id']}"))
    # At most one reallocation, whatever won.
    assert len(final["reallocations"]) <= 1


async def test_conclusion_never_passes_an_open_objection(client, session, app, pw):
    h = pw.h["staff_a1"]
    notice, _, _ = await published(client, session, app, pw)
    filed = ok(await object_to(client, notice["id"], item_numbered(notice, 2)["id"]), 201)
    await shift(session, notice["id"], 30)
    answer = client.post(
        f"{API}/objections/{filed['id']}/decision", headers=h, json={"outcome": "dismissed", "reply": "经核查不属实。"}
    )
    conclusions = [client.post(f"{API}/notices/{notice['id']}/conclude", headers=h) for _ in range(4)]
    responses = await asyncio.gather(*conclusions[:2], answer, *conclusions[2:])
    assert responses[2].status_code == 200
    concluded = [r for i, r in enumerate(responses) if i != 2 and r.status_code == 200]
    assert len(concluded) <= 1
    for r in (r for i, r in enumerate(responses) if i != 2 and r.status_code != 200):
        assert r.json()["code"] in ("objections_open", "notice_concluded")
    final = ok(await client.get(f"{API}/notices/{notice['id']}", headers=h))
    if final["status"] == "concluded":
        assert all(o["status"] != "open" for o in final["objections"])
