"""GET /api/v1/audit/events and /verify: who may read, region limits, filters, paging, order."""

import uuid
from datetime import datetime, timedelta

import pytest

from app.audit import service as audit
from app.auth.models import Role
from tests.audit.helpers import append
from tests.factories import make_tree, user_for

EVENTS = "/api/v1/audit/events"
VERIFY = "/api/v1/audit/verify"


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def trail(app, tree):
    """Events in street a (community a1), street b, the other district, and one with no region."""
    places = {
        "a1": tree.community_a1.path,
        "b1": tree.community_b1.path,
        "other": tree.other_district.path,
        "none": None,
    }
    events = {}
    for name, path in places.items():
        events[name] = (
            await append(
                app, 1, action=f"test.{name}", entity_type="proposal", entity_id=f"id-{name}", region_path=path
            )
        )[0]
    return events


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["entity_id"] for item in response.json()["items"]]


async def test_anonymous_gets_401(client):
    for url in (EVENTS, VERIFY):
        r = await client.get(url)
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "role", [Role.resident, Role.community_staff, Role.street_admin, Role.finance, Role.evaluator, Role.assessor]
)
async def test_other_roles_get_403(app, client, session, tree, role):
    _, h = await user_for(session, app, tree, role)
    for url in (EVENTS, VERIFY):
        r = await client.get(url, headers=h)
        assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


async def test_district_admin_reads_its_region_but_may_not_verify(app, client, session, tree, trail):
    _, h = await user_for(session, app, tree, Role.district_admin)
    assert ids(await client.get(EVENTS, headers=h)) == ["id-b1", "id-a1"]
    assert (await client.get(VERIFY, headers=h)).status_code == 403


async def test_supervisor_is_limited_to_its_region_admin_sees_all(app, client, session, tree, trail):
    _, sup = await user_for(session, app, tree, Role.supervisor)
    _, adm = await user_for(session, app, tree, Role.admin)
    assert ids(await client.get(EVENTS, headers=sup)) == ["id-b1", "id-a1"]
    assert ids(await client.get(EVENTS, headers=adm)) == ["id-none", "id-other", "id-b1", "id-a1"]


async def test_event_body(app, client, session, tree, trail):
    _, h = await user_for(session, app, tree, Role.admin)
    item = (await client.get(EVENTS, headers=h, params={"entity_id": "id-a1"})).json()["items"][0]
    ev = trail["a1"]
    assert item["id"] == str(ev.id) and item["seq"] == ev.seq and item["hash"] == ev.hash
    assert item["after"] == {"n": 0} and item["before"] is None
    assert (item["actor_type"], item["actor_id"], item["region_path"]) == ("user", "u-1", tree.community_a1.path)
    assert datetime.fromisoformat(item["occurred_at"]) == ev.occurred_at


async def test_filters(app, client, session, tree, trail):
    _, h = await user_for(session, app, tree, Role.admin)
    async with app.state.sessionmaker() as s:
        await audit.record(
            s,
            audit.Actor("user", "u-2", "other"),
            "proposal.submit",
            "proposal",
            "p-9",
            region_path=tree.compound_a1.path,
        )
        await s.commit()

    async def q(**params):
        return ids(await client.get(EVENTS, headers=h, params=params))

    assert await q(entity_type="proposal", entity_id="id-b1") == ["id-b1"]
    assert await q(actor_id="u-2") == ["p-9"]
    assert await q(action="test.other") == ["id-other"]
    assert await q(entity_type="nothing") == []
    assert await q(region_id=str(tree.street_a.id)) == ["p-9", "id-a1"]
    assert await q(region_id=str(tree.community_a1.id)) == ["p-9", "id-a1"]
    assert await q(region_id=str(tree.street_b.id)) == ["id-b1"]
    assert await q(region_id=str(uuid.uuid4())) == []
    middle = trail["b1"].occurred_at
    assert await q(**{"from": middle.isoformat()}) == ["p-9", "id-none", "id-other", "id-b1"]
    assert await q(to=middle.isoformat()) == ["id-a1"]
    assert await q(**{"from": middle.isoformat(), "to": (middle + timedelta(microseconds=1)).isoformat()}) == ["id-b1"]


async def test_region_filter_cannot_widen_the_callers_region(app, client, session, tree, trail):
    _, h = await user_for(session, app, tree, Role.district_admin)
    assert ids(await client.get(EVENTS, headers=h, params={"region_id": str(tree.other_district.id)})) == []


async def test_bad_date_filters_are_422(app, client, session, tree):
    _, h = await user_for(session, app, tree, Role.admin)
    r = await client.get(
        EVENTS, headers=h, params={"from": "2026-01-02T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_date_range"
    r = await client.get(EVENTS, headers=h, params={"from": "2026-01-01T00:00:00"})  # no offset: ambiguous
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_paging_newest_first(app, client, session, tree):
    await append(app, 7, per_transaction=7, entity_type="thing")
    _, h = await user_for(session, app, tree, Role.admin)
    first = (await client.get(EVENTS, headers=h, params={"limit": 3})).json()
    second = (await client.get(EVENTS, headers=h, params={"limit": 3, "offset": 3})).json()
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [i["seq"] for i in first["items"]] == [7, 6, 5]
    assert [i["seq"] for i in second["items"]] == [4, 3, 2]
    r = await client.get(EVENTS, headers=h, params={"limit": 201})
    assert r.status_code == 422
