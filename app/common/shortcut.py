"""Hot paths answered before the framework, on PostgreSQL: the busiest requests of a vote's last evening.

A `Shortcut` sits inside RequestContextMiddleware (request ids, body limits, 503s) and in front of FastAPI.
For one method and path it asks its handler first; the handler either answers exactly as the route would,
or returns None having written nothing, and the request goes on to the route untouched (which then answers,
or refuses with the right problem). Handlers talk to asyncpg directly: through FastAPI's routing and
dependencies and the ORM session, a request cost several milliseconds of Python (docs/scaling.md).
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.middleware import replay

Handler = Callable[[Scope, re.Match[str], bytes], Awaitable[Response | None]]


class Shortcut:
    """ASGI middleware: `handler` may answer `method path`; everything else passes on untouched."""

    def __init__(self, app: ASGIApp, method: str, path: str, handler: Handler) -> None:
        self.app, self.method, self.path, self.handler = app, method, re.compile(path), handler
        self.template: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == self.method and (match := self.path.fullmatch(scope["path"])):
            body = b""
            if self.method != "GET":
                body = (await receive()).get("body", b"")  # read and bounded by RequestContextMiddleware: one message
                receive = replay(body, receive)
            response = await self.handler(scope, match, body)
            if response is not None:
                scope["route_template"] = self.template or self._template(scope)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


    def _template(self, scope: Scope) -> str:
        """The path template of the route this shortcut answers for (found once), for the metrics."""
        for route in scope["app"].router.routes:
            if self.method in getattr(route, "methods", ()) and route.path_regex.fullmatch(scope["path"]):
                template = self.template = str(route.path)
                return template
        return "unmatched"


def header(scope: Scope, name: bytes) -> str | None:
    """A request header (name in lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def on_postgresql(scope: Scope) -> bool:
    """Whether the app serves from PostgreSQL (the handlers' SQL is PostgreSQL's)."""
    return bool(scope["app"].state.engine.dialect.name == "postgresql")


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's asyncpg connection, outside any SQLAlchemy transaction, given back on exit."""
    async with engine.connect() as conn:
        yield (await conn.get_raw_connection()).driver_connection
