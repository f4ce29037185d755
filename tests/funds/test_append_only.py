"""On PostgreSQL the ledger and the rows saying which fund source bore each entry (fund_draw, fund_payment) refuse
UPDATE, DELETE and TRUNCATE: a reversal is the only undo, and it appends."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.programmes.helpers import API, YEAR, commit, movement, ok

pytestmark = pytest.mark.postgres_only

TABLES = ("ledger_entry", "fund_draw", "fund_payment")


async def _books(client, world) -> None:
    """A commitment, a payment, a return and the payment's reversal: rows in all three tables."""
    h, project = world.h, uuid.uuid4()
    ok(await commit(client, h["district"], world.pilot_a1["id"], 2_000_000, project_id=project), 201)
    paid = ok(await movement(client, h["finance"], "disbursements", project, 500_000), 201)
    ok(await movement(client, h["finance"], "returns", project, 300_000, f"{YEAR}-05-02"), 201)
    ok(
        await client.post(
            f"{API}/funds/ledger/{paid['id']}/reversal",
            headers=h["finance"],
            json={"entry_date": f"{YEAR}-05-03", "reason": "付款退票"},
        ),
        201,
    )


async def _state(app) -> dict[str, tuple]:
    async with app.state.sessionmaker() as s:
        return {
            t: tuple((await s.execute(text(f"SELECT count(*), sum(amount_fen) FROM {t}"))).one())  # noqa: S608
            for t in TABLES
        }


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement", ["UPDATE {t} SET amount_fen = amount_fen + 1", "DELETE FROM {t}", "TRUNCATE {t} CASCADE"]
)
async def test_rows_cannot_be_edited_or_deleted(client, world, app, table, statement):
    await _books(client, world)
    before = await _state(app)
    # The legitimate flows above appended to every table (a payment's reversal appends negative rows).
    assert all(count > 0 for count, _ in before.values()), before
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match=f"{table} is append-only"):
            await s.execute(text(statement.format(t=table)))
        await s.rollback()
    assert await _state(app) == before
