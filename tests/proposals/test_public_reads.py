"""Public proposal pages read in autocommit: no transaction round trips, and still the latest committed data."""

import uuid

from sqlalchemy import event

from app.proposals import public_shortcut
from tests.factories import replace_shortcut, spy_on_shortcut
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import create, submitted


def _isolation_of_statements(app) -> list[str]:
    seen: list[str] = []

    @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
    def _statement(conn, *_args):
        seen.append(conn.get_execution_options().get("isolation_level", "transaction"))

    return seen


async def test_public_pages_read_in_autocommit(client, app, pw):
    p = await submitted(client, pw)
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


async def test_the_page_shortcut_answers_as_the_route(client, app, pw, backend):
    """On PostgreSQL the page is answered before the framework (app.proposals.public_shortcut): the same
    bytes as the route's; drafts, unknown ids and anything with a query reach the route."""
    p = await submitted(client, pw, title="长者助餐点", category="life_care", project_type="services")
    answered = spy_on_shortcut(app, public_shortcut.PATH, public_shortcut.public_proposal)
    fast = await client.get(f"{API}/public/proposals/{p['id']}")
    problem(await client.get(f"{API}/public/proposals/{uuid.uuid4()}"), 404, "proposal_not_found")
    draft = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    problem(await client.get(f"{API}/public/proposals/{draft['id']}"), 404, "proposal_not_found")
    assert ok(await client.get(f"{API}/public/proposals/{p['id']}", params={"x": "1"}))["id"] == p["id"]
    assert answered == [backend == "postgres", False, False, False]

    async def declines(*_args):
        return None

    replace_shortcut(app, public_shortcut.PATH, declines)
    by_route = await client.get(f"{API}/public/proposals/{p['id']}")
    assert fast.status_code == by_route.status_code == 200
    assert fast.content == by_route.content and fast.headers["content-type"] == by_route.headers["content-type"]
    assert len(fast.json()["budget_lines"]) == 2
