"""On PostgreSQL the ledger refuses UPDATE, DELETE and TRUNCATE: a reversal is the only undo."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET amount_fen = amount_fen + 1",
        "DELETE FROM ledger_entry",
        "TRUNCATE ledger_entry CASCADE",
    ],
)
async def test_ledger_rows_cannot_be_edited_or_deleted(world, app, statement):
    async with app.state.sessionmaker() as s:
        before = (await s.execute(text("SELECT count(*), sum(amount_fen) FROM ledger_entry"))).one()
    assert before[0] > 0
    async with app.state.sessionmaker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement))
        await s.rollback()
    async with app.state.sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*), sum(amount_fen) FROM ledger_entry"))).one() == before
