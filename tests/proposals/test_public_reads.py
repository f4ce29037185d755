"""Public proposal pages read in autocommit: no transaction round trips, and still the latest committed data."""

from sqlalchemy import event

from tests.programmes.helpers import API, ok
from tests.proposals.helpers import submitted


def _isolation_of_statements(app) -> list[str]:
    seen: list[str] = []

    @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
    def _statement(conn, *_args):
        seen.append(conn.get_execution_options().get("isolation_level", "transaction"))

    return seen


async def test_public_pages_read_in_autocommit(client, app, pw):
    """The routes (behind the fast lane, turned off here; tests/fastlane compares the two) read in autocommit."""
    p = await submitted(client, pw)
    app.state.fast_lane = False
    seen = _isolation_of_statements(app)
    one = ok(await client.get(f"{API}/public/proposals/{p['id']}"))
    listed = ok(await client.get(f"{API}/public/proposals", params={"community_id": str(pw.tree.community_a1.id)}))
    assert one["id"] == p["id"] and [i["id"] for i in listed["items"]] == [p["id"]]
    assert seen and set(seen) == {"AUTOCOMMIT"}
    seen.clear()
    ok(await client.get(f"{API}/auth/me", headers=pw.h["resident"]))
    assert seen and set(seen) == {"transaction"}  # an ordinary request still runs in its transaction


async def test_public_page_sees_a_change_committed_after_an_earlier_read(client, pw):
    p = await submitted(client, pw)
    assert ok(await client.get(f"{API}/public/proposals"))["total"] == 1
    await submitted(client, pw, title="第二个项目：楼道照明")
    assert ok(await client.get(f"{API}/public/proposals"))["total"] == 2
    assert ok(await client.get(f"{API}/public/proposals/{p['id']}"))["id"] == p["id"]
