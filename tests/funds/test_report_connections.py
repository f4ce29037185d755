"""A staff report holds one pooled connection at a time: the caller is checked on the primary session, whose
connection goes back to the pool before the report reads on its own session (app.auth.deps
.require_roles_then_release). Holding one while waiting for a second let 64 concurrent reports starve the pool
until it timed out (503 database_unavailable, bench/load_run.py)."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.programmes.helpers import API


@contextmanager
def most_held_at_once(engine):
    """The most connections of the engine's pool checked out at the same moment while the block runs."""
    held, most = 0, [0]

    def checkout(*_):
        nonlocal held
        held += 1
        most[0] = max(most[0], held)

    def checkin(*_):
        nonlocal held
        held -= 1

    event.listen(engine.sync_engine, "checkout", checkout)
    event.listen(engine.sync_engine, "checkin", checkin)
    try:
        yield most
    finally:
        event.remove(engine.sync_engine, "checkout", checkout)
        event.remove(engine.sync_engine, "checkin", checkin)


@pytest.mark.parametrize(
    "path",
    ["/funds/reports?group_by=street", "/funds/reports?group_by=community&format=csv", "/funds/reports/projects"],
)
async def test_a_report_holds_one_connection_at_a_time(app, client, world, path):
    with most_held_at_once(app.state.engine) as most:
        response = await client.get(f"{API}{path}", headers=world.h["finance"])
    assert response.status_code == 200, response.text
    assert most[0] == 1
