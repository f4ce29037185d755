"""Programmes through the API: defaults, validation, frozen rules, opening check, roles and regions."""

import pytest
from sqlalchemy import func, select

from app.programmes.models import Programme
from app.regions.models import RegionLevel
from tests.factories import add_region
from tests.programmes.helpers import API, YEAR, audit_count, create_programme, designate, ok, problem, sources_of


async def _programme_count(session) -> int:
    n = await session.scalar(select(func.count()).select_from(Programme))
    await session.commit()  # ends the read transaction without expiring loaded rows
    return n


async def test_create_with_defaults(client, tree, h, session):
    p = await create_programme(client, h["district"], tree.district.id)
    assert p["status"] == "draft"
    assert (p["starts_on"], p["ends_on"], p["closing_date"]) == (f"{YEAR}-01-01", f"{YEAR}-12-31", f"{YEAR}-12-31")
    rules = p["rules"]
    assert rules["subsidy_per_pilot_fen"] == 3_000_000
    assert rules["notice"] == {"unit": "working_days", "days": 5}
    assert rules["meeting"] == {"quorum_numerator": 2, "quorum_denominator": 3, "majority_base": "all"}
    assert rules["project_caps"] == {"services_fen": 20_000_000, "goods_fen": 20_000_000, "works_fen": 50_000_000}
    assert rules["evaluation"]["weights"] == {"resident": 0.3, "expert": 0.7, "third_party": 0.0}
    assert rules["evaluation"]["grade_cutoffs"] == {"excellent": 90, "good": 80, "passing": 60}
    assert await audit_count(session, "programme.create") == 1


async def test_create_with_own_rules(client, tree, h):
    p = await create_programme(
        client,
        h["district"],
        tree.district.id,
        rules={
            "notice": {"unit": "calendar_days", "days": 10},
            "meeting": {"majority_base": "present"},
            "year_end": "carry_over",
        },
        ends_on=f"{YEAR + 1}-05-31",
        closing_date=f"{YEAR}-12-31",
    )
    assert p["rules"]["notice"] == {"unit": "calendar_days", "days": 10}
    assert p["rules"]["meeting"]["majority_base"] == "present"
    assert p["rules"]["year_end"] == "carry_over"
    assert p["ends_on"] == f"{YEAR + 1}-05-31"


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": {"evaluation": {"weights": {"resident": 0.5, "expert": 0.7}}}},
        {"rules": {"evaluation": {"grade_cutoffs": {"excellent": 60, "good": 80, "passing": 90}}}},
        {"rules": {"project_caps": {"works_fen": -100}}},
        {"rules": {"project_caps": {"works_fen": 100.5}}},
        {"rules": {"subsidy_per_pilot_fen": 3000000.0}},
        {"rules": {"surprise": True}},
        {"year": 1999},
        {"name": ""},
        {"colour": "red"},
    ],
)
async def test_invalid_create_is_422_and_creates_nothing(client, tree, h, session, bad):
    body = {"district_id": str(tree.district.id), "year": YEAR, "name": "计划", **bad}
    problem(await client.post(f"{API}/programmes", headers=h["district"], json=body), 422, "validation_error")
    assert await _programme_count(session) == 0


async def test_bad_period_is_422(client, tree, h, session):
    r = await client.post(
        f"{API}/programmes",
        headers=h["district"],
        json={"district_id": str(tree.district.id), "year": YEAR, "name": "计划", "closing_date": f"{YEAR + 1}-02-01"},
    )
    problem(r, 422, "invalid_programme_period")
    assert await _programme_count(session) == 0


async def test_one_programme_per_district_and_year(client, tree, h):
    await create_programme(client, h["district"], tree.district.id)
    r = await client.post(
        f"{API}/programmes",
        headers=h["district"],
        json={"district_id": str(tree.district.id), "year": YEAR, "name": "again"},
    )
    problem(r, 409, "programme_exists")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("street_a", 403, "role_forbidden"),
        ("finance", 403, "role_forbidden"),
        ("other_district", 403, "programme_forbidden"),
    ],
)
async def test_only_the_districts_admin_creates(client, tree, h, session, who, status, code):
    r = await client.post(
        f"{API}/programmes", headers=h[who], json={"district_id": str(tree.district.id), "year": YEAR, "name": "计划"}
    )
    problem(r, status, code)
    assert await _programme_count(session) == 0


async def test_programme_needs_a_district(client, tree, h):
    r = await client.post(
        f"{API}/programmes",
        headers=h["admin"],
        json={"district_id": str(tree.street_a.id), "year": YEAR, "name": "计划"},
    )
    problem(r, 422, "not_a_district")


async def test_patch_merges_while_draft(client, tree, h):
    p = await create_programme(client, h["district"], tree.district.id)
    r = await client.patch(
        f"{API}/programmes/{p['id']}",
        headers=h["district"],
        json={"rules": {"project_caps": {"works_fen": 100_000_000}}, "name": "新名称"},
    )
    body = ok(r)
    assert body["name"] == "新名称"
    assert body["rules"]["project_caps"] == {
        "services_fen": 20_000_000,
        "goods_fen": 20_000_000,
        "works_fen": 100_000_000,
    }
    r = await client.patch(
        f"{API}/programmes/{p['id']}",
        headers=h["district"],
        json={"rules": {"evaluation": {"weights": {"resident": 0.9}}}},
    )
    problem(r, 422, "invalid_rules")
    assert ok(await client.get(f"{API}/programmes/{p['id']}", headers=h["district"]))["rules"] == body["rules"]


async def test_rules_frozen_after_open(client, tree, h, session):
    p = await create_programme(client, h["district"], tree.district.id)
    await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    await designate(client, h["street_b"], p["id"], tree.community_b1.id)
    opened = ok(await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]))
    assert opened["status"] == "open" and opened["opened_at"]
    for change in ({"rules": {"subsidy_per_pilot_fen": 1}}, {"closing_date": f"{YEAR}-06-30"}, {"name": "x"}):
        problem(
            await client.patch(f"{API}/programmes/{p['id']}", headers=h["district"], json=change),
            409,
            "programme_frozen",
        )
    after = ok(await client.get(f"{API}/programmes/{p['id']}", headers=h["district"]))
    assert after["rules"] == opened["rules"] and after["closing_date"] == opened["closing_date"]
    problem(await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]), 409, "programme_not_draft")
    assert await audit_count(session, "programme.open") == 1


async def test_opening_names_every_street_short(client, tree, h):
    p = await create_programme(client, h["district"], tree.district.id)
    body = problem(
        await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]), 409, "pilot_rule_unmet"
    )
    assert {s["name"] for s in body["streets"]} == {"莲花街道", "香蜜湖街道"}
    await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    check = ok(await client.get(f"{API}/programmes/{p['id']}/opening-check", headers=h["street_a"]))
    assert not check["ok"] and [s["name"] for s in check["shortfalls"]] == ["香蜜湖街道"]
    body = problem(
        await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]), 409, "pilot_rule_unmet"
    )
    assert [(s["name"], s["communities"], s["pilots"], s["required"]) for s in body["streets"]] == [
        ("香蜜湖街道", 2, 0, 1)
    ]
    assert ok(await client.get(f"{API}/programmes/{p['id']}", headers=h["district"]))["status"] == "draft"


async def _street_with(session, tree, name: str, n: int):
    street = await add_region(session, name, RegionLevel.street, tree.district)
    return [await add_region(session, f"{name}{i:02d}社区", RegionLevel.community, street) for i in range(n)], street


async def test_fifteen_communities_need_one_sixteen_need_two(client, tree, h, session, app):
    from app.auth.models import Role
    from tests.programmes.helpers import headers_for

    c15, s15 = await _street_with(session, tree, "十五街道", 15)
    c16, s16 = await _street_with(session, tree, "十六街道", 16)
    h15 = await headers_for(session, app, Role.street_admin, s15)
    h16 = await headers_for(session, app, Role.street_admin, s16)
    p = await create_programme(client, h["district"], tree.district.id)
    await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    await designate(client, h["street_b"], p["id"], tree.community_b1.id)
    await designate(client, h15, p["id"], c15[0].id)
    await designate(client, h16, p["id"], c16[0].id)
    body = problem(
        await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]), 409, "pilot_rule_unmet"
    )
    assert [(s["name"], s["communities"], s["pilots"], s["required"]) for s in body["streets"]] == [
        ("十六街道", 16, 1, 2)
    ]
    await designate(client, h16, p["id"], c16[1].id)
    assert ok(await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]))["status"] == "open"


async def test_designation_opens_subsidy_source(client, tree, h, session):
    p = await create_programme(client, h["district"], tree.district.id, rules={"subsidy_per_pilot_fen": 5_000_000})
    pilot = await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    assert (pilot["community_id"], pilot["street_id"], pilot["year"]) == (
        str(tree.community_a1.id),
        str(tree.street_a.id),
        YEAR,
    )
    sources = await sources_of(client, h["staff_a1"], pilot["id"])
    assert [(s["kind"], s["planned_fen"]) for s in sources] == [("district_subsidy", 5_000_000)]
    bal = ok(await client.get(f"{API}/pilots/{pilot['id']}/balance", headers=h["street_a"]))
    assert bal["funds_in_fen"] == 0 and bal["available_fen"] == 0
    assert await audit_count(session, "pilot.designate") == 1
    problem(
        await client.post(
            f"{API}/programmes/{p['id']}/pilots",
            headers=h["street_a"],
            json={"community_id": str(tree.community_a1.id)},
        ),
        409,
        "pilot_exists",
    )


@pytest.mark.parametrize(
    ("who", "target", "status", "code"),
    [
        ("street_a", "community_b1", 403, "pilot_forbidden"),
        ("district", "community_a1", 403, "role_forbidden"),
        ("staff_a1", "community_a1", 403, "role_forbidden"),
        ("street_a", "street_a", 422, "not_a_community"),
        ("street_a", "compound_a1", 422, "not_a_community"),
    ],
)
async def test_designation_refusals(client, tree, h, session, who, target, status, code):
    p = await create_programme(client, h["district"], tree.district.id)
    r = await client.post(
        f"{API}/programmes/{p['id']}/pilots", headers=h[who], json={"community_id": str(getattr(tree, target).id)}
    )
    problem(r, status, code)
    assert ok(await client.get(f"{API}/programmes/{p['id']}/pilots", headers=h["district"]))["total"] == 0


async def test_reads_are_scoped(client, tree, h):
    p = await create_programme(client, h["district"], tree.district.id)
    a1 = await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    b1 = await designate(client, h["street_b"], p["id"], tree.community_b1.id)
    problem(await client.get(f"{API}/programmes/{p['id']}", headers=h["other_district"]), 404, "programme_not_found")
    assert ok(await client.get(f"{API}/programmes", headers=h["other_district"]))["total"] == 0
    assert ok(await client.get(f"{API}/programmes", headers=h["staff_a1"]))["total"] == 1
    listed = ok(await client.get(f"{API}/programmes/{p['id']}/pilots", headers=h["street_a"]))
    assert [x["id"] for x in listed["items"]] == [a1["id"]]
    assert ok(await client.get(f"{API}/programmes/{p['id']}/pilots", headers=h["supervisor"]))["total"] == 2
    problem(await client.get(f"{API}/pilots/{b1['id']}", headers=h["staff_a1"]), 404, "pilot_not_found")
    assert ok(await client.get(f"{API}/pilots/{a1['id']}", headers=h["staff_a1"]))["id"] == a1["id"]
    problem(await client.get(f"{API}/programmes/{p['id']}"), 401, "not_authenticated")


async def test_lifecycle_guards(client, tree, h):
    p = await create_programme(client, h["district"], tree.district.id)
    problem(await client.post(f"{API}/programmes/{p['id']}/close", headers=h["district"]), 409, "programme_not_open")
    problem(
        await client.post(f"{API}/programmes/{p['id']}/year-end", headers=h["district"]), 409, "programme_not_closed"
    )
    problem(
        await client.post(f"{API}/programmes/{p['id']}/open", headers=h["other_district"]), 403, "programme_forbidden"
    )
