"""Money after confirmation binds: paid past December to its own year, spent by budget line, one committed figure."""

import pytest

from app.implementation import rules
from app.programmes.ruleset import ImplementationRule
from tests.factories import make_tree
from tests.implementation.helpers import acceptance, instalment, milestones_done, started_project
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, make_pworld


def spend(amount_fen: int, invoice: str, day: str = "2025-07-10", line: int = 1) -> dict:
    return {
        "budget_line": line,
        "payee": "深圳市明亮照明器材有限公司",
        "amount_fen": amount_fen,
        "invoice_no": invoice,
        "spent_on": day,
    }


async def test_a_project_of_2025_is_paid_invoiced_and_closed_in_2026(client, session, app, pw):
    h, fin = pw.h["staff_a1"], pw.h["finance"]
    project = await started_project(client, session, app, pw)  # goods: all paid after acceptance
    pid = project["proposal_id"]
    await milestones_done(client, h, project, "2025-07-01", "2025-12-20")
    ok(await client.post(f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance(held_on="2026-01-10")), 201)
    ok(
        await client.post(
            f"{API}/projects/{pid}/expenditures", headers=h, json=spend(950_000, "INV2026", "2026-01-18")
        ),
        201,
    )
    problem(
        await client.post(f"{API}/projects/{pid}/disbursements", headers=fin, json=instalment(1, paid_on="2099-01-01")),
        422,
        "paid_on_invalid",
    )
    paid = ok(
        await client.post(
            f"{API}/projects/{pid}/disbursements",
            headers=fin,
            json=instalment(1, amount_fen=950_000, paid_on="2026-01-20"),
        ),
        201,
    )
    assert paid["paid_on"] == "2026-01-20"
    closed = ok(
        await client.post(
            f"{API}/projects/{pid}/closure",
            headers=h,
            json={"closed_on": "2026-02-01", "summary": "更换楼道感应灯，节余资金退回。"},
        ),
        201,
    )
    assert closed["returned_fen"] == 50_000

    # The entries keep their 2026 dates and count in the 2025 programme that committed them.
    by_year = ok(
        await client.get(f"{API}/funds/reports", headers=fin, params={"group_by": "year", "as_of": "2026-03-01"})
    )
    [row] = by_year["rows"]
    assert (row["key"], row["disbursed_fen"], row["returned_fen"]) == ("2025", 950_000, 50_000)
    assert (
        ok(
            await client.get(
                f"{API}/funds/reports", headers=fin, params={"group_by": "year", "year": 2026, "as_of": "2026-03-01"}
            )
        )["rows"]
        == []
    )
    internal = ok(
        await client.get(f"{API}/funds/reports/projects", headers=fin, params={"year": 2025, "as_of": "2026-03-01"})
    )
    [mine] = [r for r in internal["rows"] if r["project_id"] == pid]
    assert (mine["disbursed_fen"], mine["spent_fen"], mine["status"]) == (950_000, 950_000, "closed")
    at_year_end = ok(
        await client.get(f"{API}/funds/reports/projects", headers=fin, params={"year": 2025, "as_of": "2025-12-31"})
    )
    assert [(r["disbursed_fen"], r["returned_fen"]) for r in at_year_end["rows"] if r["project_id"] == pid] == [(0, 0)]

    # One committed figure everywhere: net of the return, with its breakdown beside it.
    figures = (950_000, 1_000_000, 50_000)
    assert (mine["committed_fen"], mine["committed_gross_fen"], mine["returned_fen"]) == figures
    balance = ok(await client.get(f"{API}/funds/projects/{pid}", headers=fin))
    assert (balance["committed_fen"], balance["committed_gross_fen"], balance["returned_fen"]) == figures
    schedule = ok(await client.get(f"{API}/public/projects/{pid}/disbursements"))
    assert (schedule["committed_fen"], schedule["committed_gross_fen"], schedule["returned_fen"]) == figures
    public = ok(await client.get(f"{API}/public/communities/{pw.tree.community_a1.id}/finances"))
    [shown] = [p for y in public["years"] for p in y["projects"] if p["project_id"] == pid]
    assert (shown["committed_fen"], shown["committed_gross_fen"], shown["returned_fen"]) == figures
    assert [p["date"] for p in shown["payments"]] == ["2026-01-20"]
    page = (await client.get(f"/board/projects/{pid}")).text
    assert "安排资金" in page and "9,500.00 元（累计安排 10,000.00 元，已退回 500.00 元）" in page


def test_line_tolerance_rules():
    assert ImplementationRule().line_tolerance_pct == 10
    assert rules.line_allowance(1_000_000, 10) == 1_100_000
    assert rules.line_allowance(999, 10) == 1_098  # rounded down to the fen
    assert not rules.line_exceeded(1_000_000, 1_000_000, 100_000, 10)
    assert rules.line_exceeded(1_000_000, 1_000_000, 100_001, 10)
    assert rules.line_exceeded(1_000_000, 1_000_000, 1, 0)
    # Moving money between lines is a change too: 20% of the budget raised on a line goes to the meeting.
    moved = [
        {"budget_line": 1, "old_fen": 800_000, "new_fen": 1_000_000},
        {"budget_line": 2, "old_fen": 200_000, "new_fen": 0},
    ]
    assert rules.lines_raised_fen(moved) == 200_000
    assert rules.needs_meeting(1_000_000, 1_000_000, False, False, 10, rules.lines_raised_fen(moved))
    assert not rules.needs_meeting(1_000_000, 1_050_000, False, False, 10, 50_000)


@pytest.fixture
async def strict_lines(client, session, app):
    """A programme that allows no spending past a budget line."""
    return await make_pworld(
        client, session, app, await make_tree(session), rules={"implementation": {"line_tolerance_pct": 0}}
    )


async def test_spending_past_a_line_needs_a_budget_change_first(client, session, app, strict_lines):
    pw, h = strict_lines, strict_lines.h["staff_a1"]
    pid = (await started_project(client, session, app, pw))["proposal_id"]  # one line of 10,000 元
    url = f"{API}/projects/{pid}/expenditures"
    changes = f"{API}/projects/{pid}/budget-changes"
    raised = ok(
        await client.post(
            changes, headers=h, json={"budget_fen": 1_050_000, "reason": "增加安装点位", "entry_date": "2025-06-20"}
        ),
        201,
    )
    assert raised["state"] == "applied"
    ok(await client.post(url, headers=h, json=spend(1_000_000, "INV1")), 201)
    before = await audit_count(session, "expenditure.record")
    refused = problem(await client.post(url, headers=h, json=spend(100, "INV2")), 409, "budget_line_exceeded")
    assert (refused["budget_line"], refused["line_amount_fen"], refused["spent_fen"], refused["asked_fen"]) == (
        1,
        1_000_000,
        1_000_000,
        100,
    )
    assert "10,000.00 元" in refused["detail"] and "1.00 元" in refused["detail"] and "预算调整" in refused["detail"]
    assert await audit_count(session, "expenditure.record") == before

    problem(
        await client.post(
            changes, headers=h, json={"budget_lines": [{"budget_line": 2, "amount_fen": 1}], "reason": "不存在的预算项"}
        ),
        422,
        "budget_line_unknown",
    )
    problem(
        await client.post(
            changes,
            headers=h,
            json={"budget_lines": [{"budget_line": 1, "amount_fen": 900_000}], "reason": "低于已支出"},
        ),
        422,
        "budget_change_invalid",
    )
    moved = ok(
        await client.post(
            changes,
            headers=h,
            json={"budget_lines": [{"budget_line": 1, "amount_fen": 1_050_000}], "reason": "安装点位增加，调整预算项"},
        ),
        201,
    )
    assert (moved["state"], moved["needs_meeting"]) == ("applied", False)
    assert moved["line_changes"] == [{"budget_line": 1, "item": "项目费用", "old_fen": 1_000_000, "new_fen": 1_050_000}]
    ok(await client.post(url, headers=h, json=spend(50_000, "INV3")), 201)
    view = ok(await client.get(f"{API}/public/projects/{pid}/expenditures"))
    assert view["lines"] == [{"budget_line": 1, "item": "项目费用", "amount_fen": 1_050_000, "spent_fen": 1_050_000}]
    problem(await client.post(url, headers=h, json=spend(1, "INV4")), 409, "over_budget")
