"""Create, read, list, update through HTTP, with level rules, sibling names, validation and audit."""

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.regions.models import Region, RegionLevel
from tests.regions.conftest import audit_events, region_count

URL = "/api/v1/regions"


async def test_admin_creates_district_and_it_is_audited(client, session, headers):
    h = await headers(Role.admin)
    r = await client.post(URL, json={"name": "南山区", "level": "district", "code": "440305"}, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["parent_id"] is None and body["code"] == "440305" and "path" not in body
    (event,) = await audit_events(session, "region.create")
    assert event.entity_id == body["id"] and event.after["name"] == "南山区" and event.before is None
    assert event.region_path == f"/{uuid.UUID(body['id']).hex}/"
    assert event.actor_type == "user"


@pytest.mark.parametrize(
    ("role", "parent", "level"),
    [
        (Role.district_admin, "district", "street"),
        (Role.street_admin, "street_a", "community"),
        (Role.street_admin, "community_a1", "grid"),
        (Role.community_staff, "community_a1", "building"),
        (Role.community_staff, "compound_a1", "building"),
    ],
)
async def test_staff_create_inside_their_region(client, tree, headers, role, parent, level):
    h = await headers(role)
    r = await client.post(
        URL, json={"name": "新节点", "level": level, "parent_id": str(getattr(tree, parent).id)}, headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["parent_id"] == str(getattr(tree, parent).id)


@pytest.mark.parametrize(
    ("parent", "level", "allowed"),
    [
        ("street_a", "street", "community/village"),
        ("district", "community", "street/town"),
        ("community_a1", "street", "grid (网格), compound (小区), group (小组), building (楼栋)"),
        (None, "community", "only a district"),
    ],
)
async def test_level_must_fit_parent(client, tree, headers, parent, level, allowed):
    h = await headers(Role.admin)
    body = {"name": "错位", "level": level}
    if parent:
        body["parent_id"] = str(getattr(tree, parent).id)
    r = await client.post(URL, json=body, headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "region_level_invalid" and allowed in r.json()["detail"]


async def test_nothing_under_a_building(client, tree, headers):
    h = await headers(Role.community_staff)
    r = await client.post(
        URL, json={"name": "1栋", "level": "building", "parent_id": str(tree.compound_a1.id)}, headers=h
    )
    r = await client.post(URL, json={"name": "1单元", "level": "building", "parent_id": r.json()["id"]}, headers=h)
    assert r.status_code == 422 and "Nothing may be placed" in r.json()["detail"]


async def test_duplicate_sibling_is_409(client, session, tree, headers):
    h = await headers(Role.admin)
    before = await region_count(session)
    r = await client.post(
        URL, json={"name": "景华社区", "level": "community", "parent_id": str(tree.street_a.id)}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "region_name_taken"
    r = await client.post(URL, json={"name": "罗湖区", "level": "district"}, headers=h)
    assert r.status_code == 409
    assert await region_count(session) == before
    # The same name under another parent is fine.
    r = await client.post(
        URL, json={"name": "景华社区", "level": "community", "parent_id": str(tree.street_b.id)}, headers=h
    )
    assert r.status_code == 201


async def test_database_refuses_two_districts_of_one_name(session, tree):
    rid = uuid.uuid4()
    session.add(Region(id=rid, name="罗湖区", level=RegionLevel.district, path=f"/{rid.hex}/"))
    with pytest.raises(IntegrityError):
        await session.commit()


async def test_residential_type_only_on_residential_levels(client, tree, headers):
    h = await headers(Role.admin)
    r = await client.post(
        URL,
        json={"name": "新街道", "level": "street", "parent_id": str(tree.district.id), "residential_type": "modern"},
        headers=h,
    )
    assert r.status_code == 422 and "residential type" in r.json()["detail"]
    r = await client.patch(f"{URL}/{tree.street_a.id}", json={"residential_type": "modern"}, headers=h)
    assert r.status_code == 422
    r = await client.patch(f"{URL}/{tree.community_a1.id}", json={"residential_type": "transitional"}, headers=h)
    assert r.status_code == 200 and r.json()["residential_type"] == "transitional"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "level": "district", "path": "/evil/"},
        {"name": "", "level": "district"},
        {"name": "x" * 101, "level": "district"},
        {"name": "a\x07b", "level": "district"},
        {"name": "x", "level": "province"},
        {"name": "x", "level": "district", "code": "44 03"},
    ],
)
async def test_bad_create_bodies_are_422(client, session, tree, headers, body):
    h = await headers(Role.admin)
    before = await region_count(session)
    r = await client.post(URL, json=body, headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_error"
    assert await region_count(session) == before


async def test_bad_uuid_in_path_is_422_problem(client, tree, headers):
    h = await headers(Role.admin)
    for method, url in (("GET", f"{URL}/not-a-uuid"), ("GET", f"{URL}/123/tree"), ("PATCH", f"{URL}/xyz")):
        r = await client.request(method, url, json={"name": "x"} if method == "PATCH" else None, headers=h)
        assert r.status_code == 422, url
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["loc"] == ["path", "region_id"]
    r = await client.get("/api/v1/public/regions", params={"parent_id": "nope"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


async def test_read_and_unknown(client, tree, headers):
    h = await headers(Role.street_admin)
    r = await client.get(f"{URL}/{tree.community_a1.id}", headers=h)
    assert r.status_code == 200 and r.json()["name"] == "彩田社区"
    r = await client.get(f"{URL}/{uuid.uuid4()}", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "region_not_found"


async def test_rename_update_and_audit(client, session, tree, headers):
    h = await headers(Role.street_admin)
    url = f"{URL}/{tree.community_a1.id}"
    r = await client.patch(url, json={"name": "彩田新社区", "code": "440304001001"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "彩田新社区" and r.json()["updated_at"] >= r.json()["created_at"]
    (event,) = await audit_events(session, "region.update")
    assert event.before["name"] == "彩田社区" and event.after["name"] == "彩田新社区"
    assert event.after["code"] == "440304001001" and event.region_path == tree.community_a1.path
    # The same request again changes nothing and records nothing.
    r = await client.patch(url, json={"name": "彩田新社区", "code": "440304001001"}, headers=h)
    assert r.status_code == 200
    assert len(await audit_events(session, "region.update")) == 1
    # Null clears the code.
    r = await client.patch(url, json={"code": None}, headers=h)
    assert r.status_code == 200 and r.json()["code"] is None


async def test_update_refusals(client, session, tree, headers):
    h = await headers(Role.admin)
    url = f"{URL}/{tree.community_a1.id}"
    r = await client.patch(url, json={"name": "景华社区"}, headers=h)
    assert r.status_code == 409
    for body in ({"level": "street"}, {"parent_id": str(tree.street_b.id)}, {"name": "x", "level": "grid"}):
        r = await client.patch(url, json=body, headers=h)
        assert r.status_code == 422 and "cannot be changed in this version" in r.text
    for body in ({"name": None}, {"colour": "red"}, {"name": ""}):
        r = await client.patch(url, json=body, headers=h)
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = await client.patch(f"{URL}/{uuid.uuid4()}", json={"name": "x"}, headers=h)
    assert r.status_code == 404
    assert await audit_events(session, "region.update") == []


async def test_list_filters_and_pages(client, tree, headers):
    h = await headers(Role.admin)
    r = await client.get(URL, headers=h)
    assert r.status_code == 200 and r.json()["total"] == 9
    r = await client.get(URL, params={"level": "community"}, headers=h)
    assert r.json()["total"] == 4
    r = await client.get(URL, params={"parent_id": str(tree.street_a.id)}, headers=h)
    assert sorted(i["name"] for i in r.json()["items"]) == ["彩田社区", "景华社区"]
    r = await client.get(URL, params={"q": "彩田"}, headers=h)
    assert sorted(i["name"] for i in r.json()["items"]) == ["彩田村小区", "彩田社区"]
    r = await client.get(URL, params={"q": "%"}, headers=h)
    assert r.json()["total"] == 0  # LIKE wildcards are matched literally
    r = await client.get(URL, params={"limit": 2, "offset": 8}, headers=h)
    assert r.json()["total"] == 9 and len(r.json()["items"]) == 1
    r = await client.get(URL, params={"limit": 500}, headers=h)
    assert r.status_code == 422


async def test_tree_with_community_counts(client, tree, headers):
    h = await headers(Role.district_admin)
    r = await client.get(f"{URL}/{tree.district.id}/tree", headers=h)
    assert r.status_code == 200
    root = r.json()
    assert root["name"] == "福田区" and root["community_count"] == 4
    streets = {s["name"]: s for s in root["children"]}
    assert {n: s["community_count"] for n, s in streets.items()} == {"莲花街道": 2, "香蜜湖街道": 2}
    caitian = next(c for c in streets["莲花街道"]["children"] if c["name"] == "彩田社区")
    assert caitian["community_count"] is None
    assert [u["name"] for u in caitian["children"]] == ["彩田村小区"]
    r = await client.get(f"{URL}/{tree.district.id}/tree", params={"max_depth": 1}, headers=h)
    streets = r.json()["children"]
    assert len(streets) == 2 and all(s["children"] == [] and s["community_count"] == 2 for s in streets)
    r = await client.get(f"{URL}/{tree.street_b.id}/tree", headers=h)
    assert r.json()["community_count"] == 2 and len(r.json()["children"]) == 2
