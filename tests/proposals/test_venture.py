"""公益微创投 applications (issue 27): a project plan, and personnel costs: none in 民生微实事 (办事不养人), at most
the programme's share in 公益微创投."""

from sqlalchemy import func, select

from app.proposals.models import Proposal
from tests.auth.helpers import assert_problem
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import VENTURE_PLAN, body, make_pworld


def lines(personnel_fen: int, other_fen: int) -> list[dict]:
    """A personnel line and another one."""
    return [
        {"item": "社工服务费", "quantity": 1, "unit_price_fen": personnel_fen, "is_personnel": True},
        {"item": "活动物资", "quantity": 1, "unit_price_fen": other_fen},
    ]


def venture(community_id, **over) -> dict:
    """A valid 公益微创投 application body, with over laid on it."""
    return body(
        community_id,
        **{
            "as_organisation": True,
            "kind": "venture",
            "project_type": "services",
            "category": "life_care",
            "venture_plan": VENTURE_PLAN,
            **over,
        },
    )


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Proposal))


async def test_personnel_costs(client, session, pw):
    a1 = pw.tree.community_a1.id
    before = await _count(session)
    r = await client.post(f"{API}/proposals", headers=pw.h["resident"], json=body(a1, budget_lines=lines(100, 900)))
    assert "办事不养人" in assert_problem(r, 422, "personnel_not_allowed")["detail"]
    # Default share 30%: 30.01 of 100.00 yuan is over, and says so in yuan.
    r = await client.post(
        f"{API}/proposals", headers=pw.h["org_member"], json=venture(a1, budget_lines=lines(3_001, 6_999))
    )
    problem = assert_problem(r, 422, "personnel_over_limit")
    assert (problem["personnel_fen"], problem["total_fen"], problem["personnel_max_pct"]) == (3_001, 10_000, 30)
    assert "30.01 元" in problem["detail"] and "30.00 元" in problem["detail"], problem["detail"]
    assert await _count(session) == before
    p = ok(
        await client.post(
            f"{API}/proposals", headers=pw.h["org_member"], json=venture(a1, budget_lines=lines(3_000, 7_000))
        ),
        201,
    )
    assert [ln["is_personnel"] for ln in p["budget_lines"]] == [True, False]
    # Revising past the share is refused too, and leaves the proposal as it was.
    r = await client.patch(
        f"{API}/proposals/{p['id']}", headers=pw.h["org_member"], json={"budget_lines": lines(5_000, 5_000)}
    )
    assert_problem(r, 422, "personnel_over_limit")
    again = ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["org_member"]))
    assert again["total_fen"] == 10_000 and again["budget_lines"][0]["amount_fen"] == 3_000


async def test_the_programme_sets_the_share(client, session, app, tree):
    pw = await make_pworld(client, session, app, tree, rules={"venture": {"personnel_max_pct": 50}})
    ok(
        await client.post(
            f"{API}/proposals",
            headers=pw.h["org_member"],
            json=venture(tree.community_a1.id, budget_lines=lines(5_000, 5_000)),
        ),
        201,
    )


async def test_a_venture_needs_an_organisation_and_a_plan(client, session, pw):
    a1 = pw.tree.community_a1.id
    before = await _count(session)
    r = await client.post(f"{API}/proposals", headers=pw.h["resident"], json={**venture(a1), "as_organisation": False})
    assert_problem(r, 422, "venture_needs_organisation")
    plan_less = venture(a1)
    del plan_less["venture_plan"]
    assert_problem(
        await client.post(f"{API}/proposals", headers=pw.h["org_member"], json=plan_less), 422, "venture_plan_required"
    )
    bad_plan = venture(a1, venture_plan={**VENTURE_PLAN, "target_size": 0})
    assert_problem(
        await client.post(f"{API}/proposals", headers=pw.h["org_member"], json=bad_plan), 422, "validation_error"
    )
    assert await _count(session) == before
