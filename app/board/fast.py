"""The public board's fast lane (app/fastlane): the notice list, a voting round's page and a community's
finances, what a whole community opens on the last evening of a vote.

They run the route's own page functions (app.board.pages) on a read session (autocommit, as the routes' own)
and render with the route's templates and headers (app.board.templating.render). Only the plain form is
taken: no query string; an id that is not a UUID or names nothing (the route's HTML 404) goes to the route.

Each worker keeps what it rendered last for each page and answers from it for
`Settings.board_page_cache_seconds` (a second by default; 0 in the tests): the pages are public and the same
for everyone, apart from the large-text cookie, which is part of the key.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.board import pages
from app.board.templating import render
from app.core.errors import NotFound
from app.fastlane.lane import FastRoute, state

Load = Callable[[AsyncSession], Awaitable[dict[str, Any]]]
_MAX_PAGES = 4096  # per worker: every round and community page of a city, a few MB of HTML


class PageCache:
    """Rendered pages by (path, large text or not), each good until its time is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pages: dict[tuple[str, bool], tuple[float, bytes, dict[str, str]]] = {}

    def get(self, key: tuple[str, bool]) -> Response | None:
        found = self._pages.get(key)
        if found is None or found[0] <= time.monotonic():
            return None
        return Response(found[1], headers=found[2])

    def put(self, key: tuple[str, bool], response: Response) -> None:
        if self.seconds <= 0 or response.status_code != 200:
            return
        now = time.monotonic()
        if len(self._pages) >= _MAX_PAGES:
            self._pages = {k: v for k, v in self._pages.items() if v[0] > now}
            if len(self._pages) >= _MAX_PAGES:
                self._pages.clear()
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        self._pages[key] = (now + self.seconds, bytes(response.body), headers)


def _cache(app_state: Any) -> PageCache:
    if (cache := getattr(app_state, "board_pages", None)) is None:
        cache = app_state.board_pages = PageCache(app_state.settings.board_page_cache_seconds)
    return cache


async def _page(scope: Scope, template: str, load: Load) -> Response | None:
    """The page as the route renders it, from this worker's copy while it is fresh; None for the route."""
    if scope.get("query_string"):
        return None
    request = Request(scope)
    cache = _cache(state(scope))
    key = (scope["path"], request.cookies.get("board_text") == "large")
    if (cached := cache.get(key)) is not None:
        return cached
    try:
        async with state(scope).read_sessionmaker() as session:
            context = await load(session)
    except NotFound:
        return None  # the route's HTML 404
    response = render(request, template, context)
    cache.put(key, response)
    return response


async def notice_list(scope: Scope, _params: dict[str, str], _body: bytes) -> Response | None:
    """The route's first page of every community's notices."""
    return await _page(scope, "board.html", lambda session: pages.board(session, None, None, 1))


async def voting_round(scope: Scope, params: dict[str, str], _body: bytes) -> Response | None:
    """The route's page of a voting round."""
    round_id = params["round_id"]
    return await _page(scope, "round.html", lambda session: pages.voting_round(session, pages.parse_id(round_id)))


async def finances(scope: Scope, params: dict[str, str], _body: bytes) -> Response | None:
    """The route's page of a community's finances."""
    community = params["community_id"]
    return await _page(scope, "finances.html", lambda session: pages.finances(session, pages.parse_id(community)))


ROUTES = (
    FastRoute("GET", "/board", notice_list),
    FastRoute("GET", "/board/rounds/{round_id}", voting_round),
    FastRoute("GET", "/board/communities/{community_id}/finances", finances),
)
