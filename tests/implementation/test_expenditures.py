"""Expenditures: invoice required and unique, a real budget line, never beyond the confirmed budget, public."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.common.models import utcnow
from app.implementation.models import Expenditure
from app.notices.rules import today
from tests.implementation.helpers import confirmed_project
from tests.implementation.test_implementation import plan
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count


def pay(amount_fen: int, invoice: str, **over) -> dict:
    return {
        "budget_line": 1,
        "payee": "深圳市明亮照明器材有限公司",
        "amount_fen": amount_fen,
        "invoice_no": invoice,
        "spent_on": today(utcnow()).isoformat(),
        **over,
    }


async def started(client, session, app, pw) -> str:
    item = await confirmed_project(client, session, app, pw)  # budget 1,000,000 fen
    ok(
        await client.post(
            f"{API}/projects/{item['proposal_id']}/implementation", headers=pw.h["staff_a1"], json=plan()
        ),
        201,
    )
    return item["proposal_id"]


async def test_spending_within_the_budget_with_invoices(client, session, app, pw):
    h = pw.h["staff_a1"]
    pid = await started(client, session, app, pw)
    url = f"{API}/projects/{pid}/expenditures"
    ok(await client.post(url, headers=h, json=pay(600_000, "44030012345678")), 201)
    problem(await client.post(url, headers=h, json=pay(100, "44030012345678")), 409, "invoice_duplicate")
    problem(await client.post(url, headers=h, json=pay(100, "")), 422, "validation_error")
    problem(await client.post(url, headers=h, json=pay(100, "X1", budget_line=9)), 422, "budget_line_unknown")
    tomorrow = (today(utcnow()) + timedelta(days=1)).isoformat()
    problem(await client.post(url, headers=h, json=pay(100, "X2", spent_on=tomorrow)), 422, "spent_on_invalid")
    body = problem(await client.post(url, headers=h, json=pay(400_001, "X3")), 409, "over_budget")
    assert body["remaining_fen"] == 400_000
    ok(await client.post(url, headers=h, json=pay(400_000, "X4")), 201)
    public = ok(await client.get(f"{API}/public/projects/{pid}/expenditures"))
    assert (public["budget_fen"], public["spent_fen"], public["remaining_fen"]) == (1_000_000, 1_000_000, 0)
    assert [e["invoice_no"] for e in public["items"]] == ["44030012345678", "X4"]
    assert await count(session, Expenditure) == 2


@pytest.mark.postgres_only
async def test_concurrent_payments_never_pass_the_budget(client, session, app, pw):
    pid = await started(client, session, app, pw)
    responses = await asyncio.gather(
        *(
            client.post(f"{API}/projects/{pid}/expenditures", headers=pw.h["staff_a1"], json=pay(300_000, f"INV-{i}"))
            for i in range(6)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 3
    assert await session.scalar(select(func.sum(Expenditure.amount_fen))) == 900_000
