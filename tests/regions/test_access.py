"""Each role outside its region or role: 404 on reads (existence hidden), 403 on writes, 401 anonymous."""

import pytest

from app.auth.models import Role
from tests.regions.conftest import audit_events, region_count

URL = "/api/v1/regions"

# (role, a node outside that role's region)
OUTSIDE = [
    (Role.community_staff, "community_a2"),
    (Role.community_staff, "street_a"),  # above one's own node is outside too
    (Role.street_admin, "community_b1"),
    (Role.district_admin, "other_district"),
    (Role.finance, "other_district"),
    (Role.evaluator, "other_district"),
    (Role.supervisor, "other_district"),
]


@pytest.mark.parametrize(("role", "node"), OUTSIDE)
async def test_reads_outside_region_are_404(client, tree, headers, role, node):
    h = await headers(role)
    region_id = getattr(tree, node).id
    for url in (f"{URL}/{region_id}", f"{URL}/{region_id}/tree"):
        r = await client.get(url, headers=h)
        assert r.status_code == 404, (role, url)
        assert r.json()["code"] == "region_not_found"


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (Role.community_staff, {"彩田社区", "彩田村小区"}),
        (Role.street_admin, {"莲花街道", "彩田社区", "景华社区", "彩田村小区"}),
        (
            Role.supervisor,
            {"福田区", "莲花街道", "香蜜湖街道", "彩田社区", "景华社区", "香岭社区", "侨香社区", "彩田村小区"},
        ),
    ],
)
async def test_list_shows_only_own_subtree(client, tree, headers, role, visible):
    h = await headers(role)
    r = await client.get(URL, headers=h)
    assert r.status_code == 200
    assert {i["name"] for i in r.json()["items"]} == visible and r.json()["total"] == len(visible)
    r = await client.get(URL, params={"parent_id": str(tree.other_district.id)}, headers=h)
    assert r.json()["total"] == 0


@pytest.mark.parametrize("role", [Role.resident, Role.assessor])
async def test_non_staff_cannot_use_staff_reads(client, tree, headers, role):
    h = await headers(role)
    for url in (URL, f"{URL}/{tree.community_a1.id}", f"{URL}/{tree.community_a1.id}/tree"):
        r = await client.get(url, headers=h)
        assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


async def test_anonymous_gets_401(client, tree):
    rid = tree.community_a1.id
    for method, url in (
        ("GET", URL),
        ("GET", f"{URL}/{rid}"),
        ("GET", f"{URL}/{rid}/tree"),
        ("POST", URL),
        ("PATCH", f"{URL}/{rid}"),
    ):
        r = await client.request(
            method,
            url,
            json={"name": "x", "level": "grid"} if method == "POST" else ({"name": "x"} if method == "PATCH" else None),
        )
        assert r.status_code == 401, url
    r = await client.post(f"{URL}/import", files={"file": ("t.csv", b"district\nx\n", "text/csv")})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("role", "parent", "level"),
    [
        (Role.community_staff, "community_a2", "building"),
        (Role.community_staff, "street_a", "community"),
        (Role.street_admin, "street_b", "community"),
        (Role.street_admin, "district", "street"),
        (Role.district_admin, "other_district", "street"),
        (Role.district_admin, None, "district"),
        (Role.street_admin, None, "district"),
    ],
)
async def test_creates_outside_region_are_403(client, session, tree, headers, role, parent, level):
    h = await headers(role)
    before = await region_count(session)
    body = {"name": "越界", "level": level}
    if parent:
        body["parent_id"] = str(getattr(tree, parent).id)
    r = await client.post(URL, json=body, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "region_forbidden"
    assert await region_count(session) == before


@pytest.mark.parametrize("role", [Role.finance, Role.evaluator, Role.supervisor, Role.resident, Role.assessor])
async def test_roles_that_never_write(client, tree, headers, role):
    h = await headers(role)
    r = await client.post(
        URL, json={"name": "x", "level": "building", "parent_id": str(tree.compound_a1.id)}, headers=h
    )
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"
    r = await client.patch(f"{URL}/{tree.compound_a1.id}", json={"name": "x"}, headers=h)
    assert r.status_code == 403
    r = await client.post(f"{URL}/import", files={"file": ("t.csv", "区\n福田区\n".encode(), "text/csv")}, headers=h)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("role", "node"),
    [
        (Role.community_staff, "community_a2"),
        (Role.community_staff, "community_a1"),  # one's own node is renamed by the level above
        (Role.street_admin, "community_b1"),
        (Role.street_admin, "street_a"),
        (Role.district_admin, "other_district"),
        (Role.district_admin, "district"),
    ],
)
async def test_updates_outside_region_are_403(client, session, tree, headers, role, node):
    h = await headers(role)
    r = await client.patch(f"{URL}/{getattr(tree, node).id}", json={"name": "改名"}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "region_forbidden"
    assert await audit_events(session, "region.update") == []


async def test_community_staff_may_edit_their_sub_units(client, tree, headers):
    h = await headers(Role.community_staff)
    r = await client.patch(f"{URL}/{tree.compound_a1.id}", json={"residential_type": "modern"}, headers=h)
    assert r.status_code == 200 and r.json()["residential_type"] == "modern"


@pytest.mark.parametrize("role", [Role.street_admin, Role.community_staff])
async def test_only_district_admins_and_admins_import(client, tree, headers, role):
    h = await headers(role)
    r = await client.post(f"{URL}/import", files={"file": ("t.csv", "区\n福田区\n".encode(), "text/csv")}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


async def test_district_admin_imports_only_their_district(client, session, tree, headers):
    h = await headers(Role.district_admin)
    before = await region_count(session)
    for district in ("罗湖区", "南山区"):  # another existing district, and a new one
        data = f"区,街道\n{district},新街道\n".encode()
        r = await client.post(f"{URL}/import", files={"file": ("t.csv", data, "text/csv")}, headers=h)
        assert r.status_code == 403 and district in r.json()["detail"]
    assert await region_count(session) == before
