"""Public proposal pages read in autocommit: no transaction round trips, and still the latest committed data."""

import uuid

from sqlalchemy import event

from app.proposals import public_shortcut
from tests.factories import declining_shortcut, replace_shortcut, spy_on_shortcut
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import create, submitted


def _isolation_of_statements(app) -> list[str]:
    seen: list[str] = []

    @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
    def _statement(conn, *_args):
        seen.append(conn.get_execution_options().get("isolation_level", "transaction"))

    return seen


async def test_public_pages_read_in_autocommit(client, app, pw):
    """The routes (on SQLite, and behind the shortcuts on PostgreSQL: taken out here) read in autocommit."""
    p = await submitted(client, pw)
    for path in (public_shortcut.PAGE_PATH, public_shortcut.LIST_PATH):
        replace_shortcut(app, path, declining_shortcut)
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
    answered = spy_on_shortcut(app, public_shortcut.PAGE_PATH, public_shortcut.public_proposal)
    fast = await client.get(f"{API}/public/proposals/{p['id']}")
    problem(await client.get(f"{API}/public/proposals/{uuid.uuid4()}"), 404, "proposal_not_found")
    draft = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    problem(await client.get(f"{API}/public/proposals/{draft['id']}"), 404, "proposal_not_found")
    assert ok(await client.get(f"{API}/public/proposals/{p['id']}", params={"x": "1"}))["id"] == p["id"]
    assert answered == [backend == "postgres", False, False, False]

    replace_shortcut(app, public_shortcut.PAGE_PATH, declining_shortcut)
    by_route = await client.get(f"{API}/public/proposals/{p['id']}")
    assert fast.status_code == by_route.status_code == 200
    assert fast.content == by_route.content and fast.headers["content-type"] == by_route.headers["content-type"]
    assert fast.headers["x-content-type-options"] == by_route.headers["x-content-type-options"] == "nosniff"
    assert len(fast.json()["budget_lines"]) == 2


async def test_the_list_shortcut_answers_as_the_route(client, app, pw, backend):
    """On PostgreSQL one community's list in its plain form is answered before the framework, with the
    route's bytes; any other query is the route's to read (and to refuse)."""
    for title in ("长者助餐点", "楼道照明改造", "儿童游乐设施"):
        await submitted(client, pw, title=title)
    community = str(pw.tree.community_a1.id)
    answered = spy_on_shortcut(app, public_shortcut.LIST_PATH, public_shortcut.community_list)
    plain = [{"community_id": community}, {"community_id": community, "limit": "2", "offset": "1"}]
    fast = [await client.get(f"{API}/public/proposals", params=query) for query in plain]
    others = [{"community_id": community.upper()}, {"community_id": community, "limit": "02"},
              {"community_id": community, "state": "submitted"}, {}, {"community_id": community, "limit": "0"}]
    for query in others:
        r = await client.get(f"{API}/public/proposals", params=query)
        assert r.status_code in (200, 422), r.text
    assert answered == [backend == "postgres"] * 2 + [False] * 5

    replace_shortcut(app, public_shortcut.LIST_PATH, declining_shortcut)
    by_route = [await client.get(f"{API}/public/proposals", params=query) for query in plain]
    assert [r.content for r in fast] == [r.content for r in by_route]
    assert [len(r.json()["items"]) for r in fast] == [3, 2] and fast[1].json()["total"] == 3
