"""The fast lane's ASGI entry and what a fast route is (see the package's docstring)."""

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.middleware import replay

# (scope, the path's parameters by the template's names, the body) -> the route's answer, or None: the route's.
Handler = Callable[[Scope, dict[str, str], bytes], Awaitable[Response | None]]


@dataclass(frozen=True)
class FastRoute:
    """A route's fast handler, registered under the route's own method and path template."""

    method: str
    template: str
    handler: Handler


class FastLane:
    """ASGI middleware: the registered routes' requests go to their fast handler first; a handler that answers
    None leaves the request to the app, untouched. `app.state.fast_lane = False` sends everything to the app."""

    def __init__(self, app: ASGIApp, routes: Iterable[FastRoute]) -> None:
        self.app = app
        self.registry: dict[tuple[str, str], FastRoute] = {}
        self._match: list[tuple[str, re.Pattern[str], FastRoute]] = []
        for route in routes:
            key = (route.method, route.template)
            if key in self.registry:
                raise ValueError(f"two fast routes for {route.method} {route.template}")
            self.registry[key] = route
            self._match.append((route.method, compile_path(route.template)[0], route))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and getattr(scope["app"].state, "fast_lane", True):
            method, path = scope["method"], scope["path"]
            for route_method, pattern, route in self._match:
                if route_method == method and (match := pattern.match(path)):
                    body = b""
                    if method != "GET":
                        body = (await receive()).get("body", b"")  # bounded by RequestContextMiddleware
                        receive = replay(body, receive)
                    response = await route.handler(scope, match.groupdict(), body)
                    if response is not None:
                        scope["route_template"] = route.template  # for the metrics, as the route sets it
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    """A request header (name in lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def bearer(scope: Scope) -> str | None:
    """The bearer credential of the Authorization header, or None."""
    authorization = header(scope, b"authorization") or ""
    return authorization[7:].strip() or None if authorization.startswith("Bearer ") else None


def json_body(scope: Scope) -> bool:
    """Whether the request says its body is JSON (the route's body parsing needs it)."""
    return (header(scope, b"content-type") or "").split(";")[0].strip() == "application/json"


def state(scope: Scope) -> Any:
    return scope["app"].state
