"""Races on PostgreSQL: one award list made final many times at once, one subsidy paid many times at once."""

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.funds.models import FundSource, FundSourceKind, LedgerEntry, LedgerKind
from tests.awards.test_award_runs import published_run
from tests.notices.helpers import shift

pytestmark = pytest.mark.postgres_only


async def test_concurrent_finalisations_and_payments_move_the_award_money_once(client, session, app, pw):
    ew, url, notice, _ = await published_run(client, session, app, pw)
    await shift(session, notice["id"], (clock.today() - date(2025, 12, 1)).days)
    with clock.travelling(date(2025, 12, 20)):
        responses = await asyncio.gather(
            *(client.post(f"{url}/finalisation", headers=ew.h["district"]) for _ in range(5))
        )
        assert sorted(r.status_code for r in responses) == [200] + [409] * 4
        sources = await session.scalar(
            select(func.count()).select_from(FundSource).where(FundSource.kind == FundSourceKind.award_subsidy)
        )
        await session.commit()
        assert sources == 1
        pay = f"{url}/subsidies/{ew.projects['p2']}/payments"
        paid = await asyncio.gather(
            *(client.post(pay, headers=ew.h["finance"], json={"amount_fen": 600_000}) for _ in range(5))
        )
        assert sorted(r.status_code for r in paid) == [201] + [409] * 4  # 600,000 fits once in 1,000,000
        total = await session.scalar(
            select(func.sum(LedgerEntry.amount_fen)).where(
                LedgerEntry.kind == LedgerKind.disbursement, LedgerEntry.note == "以奖代补拨付"
            )
        )
        await session.commit()
        assert total == 600_000
