"""Idempotency-Key on region create: a retried create makes one node and answers as the first did."""

from app.auth.models import Role
from tests.regions.conftest import audit_events, region_count

URL = "/api/v1/regions"


def keyed(h: dict[str, str], key: str) -> dict[str, str]:
    return {**h, "Idempotency-Key": key}


async def test_a_retried_create_makes_one_region(client, session, tree, headers):
    h = await headers(Role.street_admin)
    body = {"name": "新社区", "level": "community", "parent_id": str(tree.street_a.id)}
    count = await region_count(session)

    first = await client.post(URL, json=body, headers=keyed(h, "region-1"))
    again = await client.post(URL, json=body, headers=keyed(h, "region-1"))

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert await region_count(session) == count + 1
    (event,) = await audit_events(session, "region.create")
    assert event.entity_id == first.json()["id"]
    listed = (await client.get(URL, params={"parent_id": str(tree.street_a.id), "q": "新社区"}, headers=h)).json()
    assert [r["id"] for r in listed["items"]] == [first.json()["id"]]


async def test_a_key_reused_for_another_region_is_422(client, session, tree, headers):
    h = await headers(Role.street_admin)
    body = {"name": "新社区", "level": "community", "parent_id": str(tree.street_a.id)}
    assert (await client.post(URL, json=body, headers=keyed(h, "region-1"))).status_code == 201
    count = await region_count(session)

    r = await client.post(URL, json={**body, "name": "另一社区"}, headers=keyed(h, "region-1"))

    assert r.status_code == 422, r.text
    assert r.json()["code"] == "idempotency_key_reused"
    assert await region_count(session) == count


async def test_a_refused_create_frees_the_key(client, session, tree, headers):
    h = await headers(Role.street_admin)
    body = {"name": "彩田社区", "level": "community", "parent_id": str(tree.street_a.id)}  # a sibling's name
    count = await region_count(session)

    refused = await client.post(URL, json=body, headers=keyed(h, "region-1"))
    assert refused.status_code == 409, refused.text
    r = await client.post(URL, json={**body, "name": "新社区"}, headers=keyed(h, "region-1"))

    assert r.status_code == 201, r.text
    assert await region_count(session) == count + 1
