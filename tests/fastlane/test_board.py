"""The public board's fast routes (app/board/fast.py) against the board's routes, and each worker's copy of a
page (a second by default; the tests' settings turn it off, this file turns it on)."""

import pytest
from sqlalchemy import update

from app.board import fast
from app.board.fast import PageCache
from app.voting.models import VotingRound
from tests.factories import make_tree
from tests.notices.helpers import published
from tests.proposals.helpers import make_pworld

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
async def pw(client, session, app):
    return await make_pworld(client, session, app, await make_tree(session))


async def test_board_pages_down_both_paths(client, session, app, pw, both_paths):
    notice, rnd, _ = await published(client, session, app, pw)
    community = pw.tree.community_a1.id
    for path in ("/board", f"/board/rounds/{rnd['id']}", f"/board/communities/{community}/finances"):
        for cookies in ({}, {"board_text": "large"}):
            client.cookies.clear()
            client.cookies.update(cookies)
            r = await both_paths("GET", path)
            assert r.fast and r.answer.status_code == 200 and r.answer.headers["content-security-policy"], path
    client.cookies.clear()
    assert notice["title"] in (await both_paths("GET", "/board")).answer.text
    for path, status in (
        (f"/board/rounds/{UNKNOWN}", 404),
        ("/board/rounds/nonsense", 404),
        (f"/board/communities/{UNKNOWN}/finances", 404),
        (f"/board/rounds/{rnd['id']}?x=1", 200),
        (f"/board?community_id={community}", 200),
        ("/board?page=2", 200),
    ):
        r = await both_paths("GET", path)
        assert r.answer.status_code == status and not r.fast, path


async def test_a_worker_answers_from_its_copy_while_it_is_fresh(client, session, app, pw, monkeypatch):
    _, rnd, _ = await published(client, session, app, pw)
    now = [1000.0]
    monkeypatch.setattr(fast.time, "monotonic", lambda: now[0])
    app.state.board_pages = PageCache(1.0)
    path = f"/board/rounds/{rnd['id']}"
    first = await client.get(path)
    await session.execute(update(VotingRound).where(VotingRound.title == rnd["title"]).values(title="改过的标题"))
    await session.commit()
    now[0] += 0.9
    copy = await client.get(path)
    assert (copy.status_code, copy.content) == (200, first.content) and "改过的标题" not in copy.text
    same = {k: v for k, v in first.headers.items() if k != "x-request-id"}
    assert {k: v for k, v in copy.headers.items() if k != "x-request-id"} == same
    client.cookies.set("board_text", "large")
    assert "改过的标题" in (await client.get(path)).text  # the large-text page is a page of its own
    client.cookies.clear()
    now[0] += 0.2
    assert "改过的标题" in (await client.get(path)).text
    app.state.fast_lane = False
    assert "改过的标题" in (await client.get(path)).text  # the route never answers from a copy


def test_the_copies_are_bounded_and_refusals_are_not_kept():
    from starlette.responses import Response

    cache = PageCache(1.0)
    cache.put(("/board/rounds/x", False), Response(b"gone", status_code=404))
    assert cache.get(("/board/rounds/x", False)) is None
    for n in range(fast._MAX_PAGES + 1):
        cache.put((f"/board/rounds/{n}", False), Response(b"page"))
    assert len(cache._pages) <= fast._MAX_PAGES
    assert PageCache(0).get(("/board", False)) is None
