"""Intake: drafts with server-computed totals; every bad input is a 4xx problem that changes nothing."""

import pytest

from app.proposals.models import BudgetLine, Proposal
from app.regions.models import RegionLevel
from tests.factories import add_region
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import VENTURE_PLAN, audit_count, body, count, create


async def test_draft_totals_are_computed_by_the_service(client, session, pw):
    before = await audit_count(session, "proposal.create")
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    assert p["state"] == "draft" and p["total_fen"] == 270_000 and p["submitted_at"] is None
    assert [ln["amount_fen"] for ln in p["budget_lines"]] == [150_000, 120_000]
    assert [ln["position"] for ln in p["budget_lines"]] == [1, 2]
    assert p["programme_id"] == pw.world.programme["id"] and p["proposer_kind"] == "resident"
    assert await audit_count(session, "proposal.create") == before + 1


async def test_sub_unit_and_organisation(client, pw):
    p = await create(
        client,
        pw.h["org_member"],
        pw.tree.community_a1.id,
        unit_id=str(pw.tree.compound_a1.id),
        as_organisation=True,
        kind="venture",
        project_type="services",
        category="life_care",
        venture_plan=VENTURE_PLAN,
    )
    assert p["unit_id"] == str(pw.tree.compound_a1.id)
    assert p["proposer_kind"] == "organisation" and p["proposer_organisation_id"] is not None
    r = await client.post(
        f"{API}/proposals", headers=pw.h["resident"], json=body(pw.tree.community_a1.id, as_organisation=True)
    )
    problem(r, 422, "no_organisation")


BAD_BODIES = [
    ("zero quantity", {"budget_lines": [{"item": "灯", "quantity": 0, "unit_price_fen": 100}]}, "validation_error"),
    (
        "negative quantity",
        {"budget_lines": [{"item": "灯", "quantity": -2, "unit_price_fen": 100}]},
        "validation_error",
    ),
    ("zero price", {"budget_lines": [{"item": "灯", "quantity": 1, "unit_price_fen": 0}]}, "validation_error"),
    ("negative price", {"budget_lines": [{"item": "灯", "quantity": 1, "unit_price_fen": -100}]}, "validation_error"),
    ("fractional price", {"budget_lines": [{"item": "灯", "quantity": 1, "unit_price_fen": 10.5}]}, "validation_error"),
    ("client total", {"total_fen": 1}, "validation_error"),
    (
        "client line amount",
        {"budget_lines": [{"item": "灯", "quantity": 1, "unit_price_fen": 100, "amount_fen": 1}]},
        "validation_error",
    ),
    ("unknown category", {"category": "sports_cars"}, "validation_error"),
    ("unknown type", {"project_type": "consulting"}, "validation_error"),
    ("unknown kind", {"kind": "lottery"}, "validation_error"),
    ("empty title", {"title": ""}, "validation_error"),
    ("long title", {"title": "长" * 101}, "validation_error"),
    # Goods cap: 20万元 = 20,000,000 fen by default; 2 × 10,000,000.01 yuan-fen is one fen over.
    (
        "over the goods cap",
        {"budget_lines": [{"item": "设备", "quantity": 2, "unit_price_fen": 10_000_001}]},
        "over_cap",
    ),
    ("street instead of community", {"community_id": "street"}, "not_a_community"),
    ("unit of another community", {"unit_id": "other_unit"}, "unit_outside_community"),
]


@pytest.mark.parametrize(("case", "over", "code"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_bad_input_changes_nothing(client, session, pw, case, over, code):
    over = dict(over)
    if over.get("community_id") == "street":
        over["community_id"] = str(pw.tree.street_a.id)
    if over.get("unit_id") == "other_unit":
        over["community_id"] = str(pw.tree.community_a2.id)
        over["unit_id"] = str(pw.tree.compound_a1.id)
    before = (await count(session, Proposal), await count(session, BudgetLine), await audit_count(session))
    community = over.pop("community_id", pw.tree.community_a1.id)
    r = await client.post(f"{API}/proposals", headers=pw.h["resident"], json=body(community, **over))
    problem(r, 422, code)
    assert (await count(session, Proposal), await count(session, BudgetLine), await audit_count(session)) == before


async def test_cap_is_per_type(client, pw):
    # 30万 is over the goods cap (20万) but within the works cap (50万).
    lines = [{"item": "路面修补", "quantity": 1, "unit_price_fen": 30_000_000}]
    r = await client.post(
        f"{API}/proposals",
        headers=pw.h["resident"],
        json=body(pw.tree.community_a1.id, project_type="goods", budget_lines=lines),
    )
    assert problem(r, 422, "over_cap")["cap_fen"] == 20_000_000
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id, project_type="works", budget_lines=lines)
    assert p["total_fen"] == 30_000_000
    # Exactly at the cap is allowed.
    p = await create(
        client,
        pw.h["resident"],
        pw.tree.community_a1.id,
        budget_lines=[{"item": "设备", "quantity": 2, "unit_price_fen": 10_000_000}],
    )
    assert p["total_fen"] == 20_000_000


async def test_update_replaces_lines_and_rechecks_cap(client, session, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    url = f"{API}/proposals/{p['id']}"
    r = await client.patch(
        url,
        headers=pw.h["resident"],
        json={"title": "楼道照明", "budget_lines": [{"item": "灯", "quantity": 10, "unit_price_fen": 3_000}]},
    )
    p2 = ok(r)
    assert p2["title"] == "楼道照明" and p2["total_fen"] == 30_000 and len(p2["budget_lines"]) == 1
    before = (await count(session, BudgetLine), await audit_count(session))
    r = await client.patch(
        url,
        headers=pw.h["resident"],
        json={"budget_lines": [{"item": "灯", "quantity": 1000, "unit_price_fen": 30_000}]},
    )
    problem(r, 422, "over_cap")
    r = await client.patch(url, headers=pw.h["resident"], json={"title": None})
    problem(r, 422, "validation_error")
    assert (await count(session, BudgetLine), await audit_count(session)) == before
    assert ok(await client.get(url, headers=pw.h["resident"]))["total_fen"] == 30_000
    # Only the proposer edits; others are told it does not exist or that they may not.
    problem(await client.patch(url, headers=pw.h["resident2"], json={"title": "x"}), 404, "proposal_not_found")


async def test_submit_freezes_content(client, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    s = ok(await client.post(f"{API}/proposals/{p['id']}/submit", headers=pw.h["resident"]))
    assert s["state"] == "submitted" and s["submitted_at"] is not None
    r = await client.patch(f"{API}/proposals/{p['id']}", headers=pw.h["resident"], json={"title": "x"})
    problem(r, 409, "proposal_not_editable")


async def test_submit_needs_a_budget(client, session, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id, budget_lines=[])
    before = await audit_count(session)
    problem(await client.post(f"{API}/proposals/{p['id']}/submit", headers=pw.h["resident"]), 422, "budget_invalid")
    assert await audit_count(session) == before
    assert ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))["state"] == "draft"
    # A compound charter (小区公约) needs no money.
    c = await create(client, pw.h["resident"], pw.tree.community_a1.id, kind="charter", budget_lines=[])
    assert ok(await client.post(f"{API}/proposals/{c['id']}/submit", headers=pw.h["resident"]))["state"] == "submitted"


async def test_no_open_programme(client, session, pw):
    street = await add_region(session, "东门街道", RegionLevel.street, pw.tree.other_district)
    community = await add_region(session, "湖贝社区", RegionLevel.community, street)
    r = await client.post(f"{API}/proposals", headers=pw.h["resident"], json=body(community.id))
    problem(r, 422, "no_open_programme")
    r = await client.post(
        f"{API}/proposals", headers=pw.h["resident"], json=body(community.id, programme_id=pw.world.programme["id"])
    )
    problem(r, 422, "unknown_programme")


async def test_staff_cannot_create(client, pw):
    r = await client.post(f"{API}/proposals", headers=pw.h["staff_a1"], json=body(pw.tree.community_a1.id))
    problem(r, 403, "role_forbidden")
    r = await client.post(f"{API}/proposals", json=body(pw.tree.community_a1.id))
    assert r.status_code == 401
