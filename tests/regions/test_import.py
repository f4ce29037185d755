"""CSV import over HTTP: encodings, counts, all-or-nothing on bad lines, idempotent re-import, audit."""

import hashlib

from sqlalchemy import select

from app.auth.models import Role
from app.regions.models import Region
from tests.regions.conftest import audit_events, region_count

URL = "/api/v1/regions/import"

NANSHAN = (
    "区,街道,社区,子单元类型,子单元,上级子单元,代码\n"
    "南山区,,,,,,440305\n"
    "南山区,南头街道,,,,,440305001\n"
    "南山区,南头街道,星海名城社区,,,,440305001001\n"
    "南山区,南头街道,星海名城社区,网格,第一网格,,\n"
    "南山区,南头街道,星海名城社区,小区,星海名城,,\n"
    "南山区,南头街道,星海名城社区,楼栋,1栋,星海名城,\n"
    "南山区,南头街道,星海名城社区,楼栋,2栋,星海名城,\n"
    "南山区,南头街道,前海社区,,,,\n"
    "南山区,粤海街道,科技园社区,小组,第一小组,,\n"
)


async def _upload(client, headers, data: bytes, **params):
    return await client.post(URL, files={"file": ("南山区.csv", data, "text/csv")}, params=params, headers=headers)


async def test_import_gb18030_then_reimport_creates_nothing(client, session, tree, headers):
    h = await headers(Role.admin)
    data = NANSHAN.encode("gb18030")
    before = await region_count(session)
    r = await _upload(client, h, data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["encoding"] == "gb18030" and body["rows"] == 9 and not body["nothing_new"]
    assert body["created"] == {
        "district": 1,
        "street": 2,
        "community": 3,
        "grid": 1,
        "compound": 1,
        "group": 1,
        "building": 2,
    }
    assert sum(body["existing"].values()) == 0
    assert await region_count(session) == before + 11
    building = await session.scalar(select(Region).where(Region.name == "1栋"))
    compound = await session.scalar(select(Region).where(Region.name == "星海名城"))
    assert building.parent_id == compound.id and building.path.startswith(compound.path)
    district = await session.scalar(select(Region).where(Region.name == "南山区"))
    assert str(district.id) == body["district_id"] and district.code == "440305"
    (event,) = await audit_events(session, "region.import")
    assert event.entity_id == body["district_id"] and event.region_path == district.path
    assert event.after["file_sha256"] == hashlib.sha256(data).hexdigest() == body["file_sha256"]
    assert event.after["created"]["building"] == 2 and len(event.after["created_ids"]) == 11
    assert await audit_events(session, "region.create") == []  # one event per import, not per node

    r = await _upload(client, h, data)
    assert r.status_code == 200
    body = r.json()
    assert body["nothing_new"] and "Nothing new" in body["message"]
    assert sum(body["created"].values()) == 0 and sum(body["existing"].values()) == 11
    assert await region_count(session) == before + 11
    assert len(await audit_events(session, "region.import")) == 1


async def test_district_admin_extends_own_tree_utf8_bom(client, session, tree, headers):
    h = await headers(Role.district_admin)
    data = (
        "\ufeffdistrict,street,community,subunit_level,subunit,parent_subunit,code\n"
        "福田区,莲花街道,彩田社区,building,3栋,彩田村小区,\n"
        "福田区,莲花街道,景华社区,,,,440304001002\n"
        "福田区,沙头街道,新洲社区,,,,\n"
    ).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    before = await region_count(session)
    r = await _upload(client, h, data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["encoding"] == "utf-8"
    assert body["created"]["building"] == 1 and body["created"]["street"] == 1 and body["created"]["community"] == 1
    assert body["existing"]["district"] == 1 and body["existing"]["compound"] == 1
    assert body["codes_set"] == 1
    assert await region_count(session) == before + 3
    jinghua = await session.scalar(select(Region.code).where(Region.id == tree.community_a2.id))
    assert jinghua == "440304001002"
    (event,) = await audit_events(session, "region.import")
    assert event.after["codes_set"] == [{"id": str(tree.community_a2.id), "code": "440304001002"}]


async def test_bad_lines_reported_by_number_and_nothing_imported(client, session, tree, headers):
    h = await headers(Role.admin)
    data = (
        "区,街道,社区,子单元类型,子单元,上级子单元,代码\n"  # 1
        "南山区,南头街道,星海社区,,,,\n"  # 2 fine
        "南山区,,星海社区,,,,\n"  # 3 community without street
        "\n"  # 4 blank
        "南山区,南头街道,星海社区,单元,1单元,,\n"  # 5 unknown level
        "南山区,南头街道,星海社区,楼栋,1栋,\n"  # 6 fine (short row)
        "南山区,南头街道,星海社区,,,,4403-05-x!\n"
    ).encode("gb18030")  # 7 bad code
    before = await region_count(session)
    r = await _upload(client, h, data)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "csv_invalid" and "nothing was imported" in problem["detail"]
    assert [e["line"] for e in problem["errors"]] == [3, 5, 7]
    assert "单元" in problem["errors"][1]["message"]
    assert await region_count(session) == before
    assert await audit_events(session, "region.import") == []


async def test_tree_level_errors_are_by_line_too(client, session, tree, headers):
    h = await headers(Role.admin)
    data = (
        "区,街道,社区,子单元类型,子单元,上级子单元\n"
        "福田区,莲花街道,彩田社区,楼栋,9栋,\n"  # 2 fine
        "福田区,莲花街道,彩田社区,网格,一网格,9栋\n"  # 3 grid under a building
        "福田区,莲花街道,彩田社区,楼栋,8栋,无此小区\n"  # 4 unknown parent_subunit
        "福田区,莲花街道,彩田村小区,,,\n"
    ).encode()  # 5 fine (new community)
    before = await region_count(session)
    r = await _upload(client, h, data)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["line"] for e in errors] == [3, 4]
    assert "Nothing may be placed" in errors[0]["message"] and "无此小区" in errors[1]["message"]
    assert await region_count(session) == before


async def test_dry_run_changes_nothing(client, session, tree, headers):
    h = await headers(Role.admin)
    before = await region_count(session)
    r = await _upload(client, h, NANSHAN.encode(), dry_run="true")
    assert r.status_code == 200
    body = r.json()
    assert body["dry_run"] and body["district_id"] is None and body["created"]["building"] == 2
    assert body["message"].startswith("Would create 11")
    assert await region_count(session) == before
    assert await audit_events(session, "region.import") == []


async def test_unreadable_files(client, session, tree, headers):
    h = await headers(Role.admin)
    for data, words in ((b"PK\x03\x04\x14\x00", "Excel"), (b"", "empty"), ("区,楼层\n福田区,3\n".encode(), "楼层")):
        r = await _upload(client, h, data)
        assert r.status_code == 422, data
        assert r.json()["errors"][0]["line"] == 1 and words in r.json()["errors"][0]["message"]
    r = await client.post(URL, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
