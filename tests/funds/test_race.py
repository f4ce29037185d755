"""Concurrent commitments on PostgreSQL: the database lets exactly the affordable ones through."""

import asyncio
import uuid

import pytest
from sqlalchemy import case, func, select

from app.funds.models import LedgerEntry, LedgerKind, PilotBalance
from tests.programmes.helpers import balance, commit, funds_in, ok

ROUNDS = 10
REQUESTS = 60
AMOUNT = 100_000  # 1,000 元 each
ROUND_FUNDS = 3_000_000  # 30,000 元 per round: 30 fit, 30 must be refused


@pytest.fixture
def settings(settings):
    """Hundreds of requests at once queue for the connection pool; on a loaded machine they may wait longer than
    the production timeout, and this test is about what they write, not how fast."""
    return settings.model_copy(update={"db_timeout_seconds": 30.0})


@pytest.mark.postgres_only
async def test_sixty_concurrent_commitments_never_overcommit(client, session, world):
    h, pilot = world.h, world.pilot_a1["id"]
    # The world gave the pilot its first 30,000 元; each later round adds another 30,000.
    for round_no in range(ROUNDS):
        if round_no:
            ok(await funds_in(client, h["district"], world.subsidy_a1["id"], ROUND_FUNDS, supplement=True), 201)
        responses = await asyncio.gather(
            *(commit(client, h["district"], pilot, AMOUNT, project_id=uuid.uuid4()) for _ in range(REQUESTS))
        )
        won = [r for r in responses if r.status_code == 201]
        lost = [r for r in responses if r.status_code != 201]
        assert len(won) == ROUND_FUNDS // AMOUNT, (round_no, [r.text for r in lost[:3]])
        for r in lost:
            assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "insufficient_funds"
        bal = await balance(client, h["district"], pilot)
        assert bal["committed_fen"] == bal["funds_in_fen"] == ROUND_FUNDS * (round_no + 1)
        assert bal["available_fen"] == 0
        [source] = bal["sources"]
        assert (source["received_fen"], source["committed_fen"], source["uncommitted_fen"]) == (
            bal["funds_in_fen"],
            bal["committed_fen"],
            0,
        )

    signed = case((LedgerEntry.kind == LedgerKind.reversal, -LedgerEntry.amount_fen), else_=LedgerEntry.amount_fen)
    sums = dict(
        (
            await session.execute(
                select(LedgerEntry.kind, func.sum(signed))
                .where(LedgerEntry.pilot_id == uuid.UUID(pilot))
                .group_by(LedgerEntry.kind)
            )
        ).all()
    )
    row = await session.get(PilotBalance, uuid.UUID(pilot))
    await session.commit()
    assert sums[LedgerKind.commitment] == row.committed_fen == ROUNDS * ROUND_FUNDS
    assert sums[LedgerKind.funds_in] == row.funds_in_fen == ROUNDS * ROUND_FUNDS
    assert row.committed_fen <= row.funds_in_fen
