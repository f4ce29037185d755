"""Screening (初审) against the negative list and the cap, reasons the proposer sees, and needs-survey notes."""

import uuid

from app.proposals.models import BudgetLine, ProposalScreening, SurveyNote
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count, in_deliberation, move, submitted


async def test_failed_items_return_the_proposal_with_reasons(client, session, pw):
    p = await submitted(client, pw)
    before = await audit_count(session)
    s = ok(
        await client.post(
            f"{API}/proposals/{p['id']}/screenings",
            headers=pw.h["staff_a1"],
            json={"failed_items": ["responsible_party_duty", "single_household"], "note": "楼道灯属物业维修范围"},
        ),
        201,
    )
    assert s["passed"] is False and s["over_cap"] is False
    assert [r["code"] for r in s["reasons"]] == ["responsible_party_duty", "single_household"]
    # One audit event for the screening and the state change together.
    assert await audit_count(session) == before + 1
    mine = ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))
    assert mine["state"] == "returned"
    assert "物业" in mine["state_reason"] and "楼道灯属物业维修范围" in mine["state_reason"]
    seen = ok(await client.get(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["resident"]))
    assert seen["total"] == 1 and seen["items"][0]["reasons"][0]["label"] == "属于物业服务企业或其他责任主体职责"


async def test_unknown_negative_item_changes_nothing(client, session, pw):
    p = await submitted(client, pw)
    before = (await count(session, ProposalScreening), await audit_count(session))
    r = await client.post(
        f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={"failed_items": ["gifts", "too_ugly"]}
    )
    body = problem(r, 422, "unknown_negative_item")
    assert body["unknown"] == ["too_ugly"] and "gifts" in body["known"]
    assert (await count(session, ProposalScreening), await audit_count(session)) == before
    assert ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))["state"] == "submitted"


async def test_cap_is_checked_again_at_screening(client, session, pw):
    p = await submitted(client, pw)
    # A line slipped in behind the service's back (e.g. an import) takes the budget over the goods cap.
    session.add(
        BudgetLine(
            proposal_id=uuid.UUID(p["id"]),
            position=9,
            item="额外设备",
            quantity=1,
            unit_price_fen=20_000_000,
            amount_fen=20_000_000,
        )
    )
    await session.commit()
    s = ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    assert s["passed"] is False and s["over_cap"] is True and s["cap_fen"] == 20_000_000
    assert s["reasons"] == [{"code": "over_cap", "label": "超出单个项目资金上限"}]


async def test_only_submitted_proposals_are_screened(client, session, pw):
    p = await submitted(client, pw)
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    before = await count(session, ProposalScreening)
    r = await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={})
    problem(r, 409, "transition_not_allowed")
    assert await count(session, ProposalScreening) == before


async def test_who_may_screen(client, session, pw):
    p = await submitted(client, pw)
    url = f"{API}/proposals/{p['id']}/screenings"
    problem(await client.post(url, headers=pw.h["resident"], json={}), 403, "role_forbidden")
    problem(await client.post(url, headers=pw.h["supervisor"], json={}), 403, "role_forbidden")
    problem(await client.post(url, headers=pw.h["staff_b1"], json={}), 404, "proposal_not_found")
    problem(await client.post(url, headers=pw.h["staff_a2"], json={}), 404, "proposal_not_found")
    problem(await client.post(url, headers=pw.h["street_b"], json={}), 404, "proposal_not_found")
    assert await count(session, ProposalScreening) == 0
    ok(await client.post(url, headers=pw.h["street_a"], json={}), 201)


async def test_negative_list_and_caps_endpoints(client, pw):
    items = ok(await client.get(f"{API}/screening/negative-list", headers=pw.h["resident"]))
    assert {i["code"] for i in items} >= {
        "responsible_party_duty",
        "duplicates_government_project",
        "staff_pay",
        "gifts",
        "banquets",
        "travel",
        "single_household",
    }
    same = ok(
        await client.get(
            f"{API}/screening/negative-list",
            headers=pw.h["resident"],
            params={"programme_id": pw.world.programme["id"]},
        )
    )
    assert same == items
    caps = ok(
        await client.get(
            f"{API}/screening/caps", headers=pw.h["resident"], params={"programme_id": pw.world.programme["id"]}
        )
    )
    assert caps == {"services_fen": 20_000_000, "goods_fen": 20_000_000, "works_fen": 50_000_000}


async def test_survey_notes(client, session, pw):
    p = await submitted(client, pw)
    url = f"{API}/proposals/{p['id']}/survey-notes"
    note = {"method": "visit", "surveyed_on": "2025-04-02", "respondents": 36, "findings": "走访36户，32户支持。"}
    problem(await client.post(url, headers=pw.h["staff_a1"], json=note), 409, "survey_closed")
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    ok(await move(client, pw.h["staff_a1"], p["id"], "under_survey"))
    created = ok(await client.post(url, headers=pw.h["staff_a1"], json=note), 201)
    assert created["respondents"] == 36
    before = await count(session, SurveyNote)
    problem(await client.post(url, headers=pw.h["staff_a1"], json={**note, "respondents": -1}), 422, "validation_error")
    problem(
        await client.post(url, headers=pw.h["staff_a1"], json={**note, "method": "séance"}), 422, "validation_error"
    )
    problem(await client.post(url, headers=pw.h["staff_b1"], json=note), 404, "proposal_not_found")
    problem(await client.post(url, headers=pw.h["resident"], json=note), 403, "role_forbidden")
    assert await count(session, SurveyNote) == before
    listed = ok(await client.get(url, headers=pw.h["resident"]))
    assert listed["total"] == 1 and listed["items"][0]["findings"] == "走访36户，32户支持。"
    problem(await client.get(url, headers=pw.h["resident2"]), 404, "proposal_not_found")


async def test_deliberation_needs_the_survey_first(client, pw):
    p = await submitted(client, pw)
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    body = problem(await move(client, pw.h["staff_a1"], p["id"], "in_deliberation"), 409, "transition_not_allowed")
    assert body["allowed"] == [{"to": "under_survey", "by": ["community_staff", "street_admin"]}]
    d = await in_deliberation(client, pw)
    assert d["state"] == "in_deliberation"
    assert await count_of(client, pw) >= 2


async def count_of(client, pw) -> int:
    """How many proposals staff of a1 see."""
    return ok(await client.get(f"{API}/proposals", headers=pw.h["staff_a1"]))["total"]
