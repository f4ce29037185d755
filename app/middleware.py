"""Outermost ASGI layer: request id, allowed hosts, body limits before parsing, nosniff on every response,
last-resort 500 as problem+json."""

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.jwt import InvalidToken, decode_access_token
from app.auth.models import Role
from app.core.config import Settings
from app.core.db import database_unavailable
from app.core.errors import PROBLEM_JSON, language_headers, problem_body
from app.core.request_context import reset_request_id, set_request_id
from app.i18n import language
from app.ops import metrics

log = logging.getLogger("weishi.http")
access = logging.getLogger("weishi.access")  # one line per request: id, route template, status, duration
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_UPLOAD_TYPES = ("multipart/form-data", "text/csv", "application/octet-stream")


class _BodyTooLarge(Exception):
    pass


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """Whether the Host header (port ignored) names one of the allowed hosts, as Starlette's TrustedHostMiddleware
    matches them ("*.example.cn" takes subdomains, "*" anything); a missing Host is refused."""
    host = host_header.lower()
    host = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":")[0]
    if not host:
        return False
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def json_too_deep(body: bytes, limit: int) -> bool:
    """True when arrays/objects nest deeper than limit (checked before any parser recurses)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_str = escaped = False
    for ch in body:
        if in_str:
            if escaped:
                escaped = False
            elif ch == 0x5C:  # backslash
                escaped = True
            elif ch == 0x22:  # quote
                in_str = False
        elif ch == 0x22:
            in_str = True
        elif ch in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif ch in (0x5D, 0x7D):
            depth -= 1
    return False


def route_template(scope: Scope) -> str:
    """The route's path template (never the raw path: ids would make a series per object)."""
    route = scope.get("route")
    if route is not None:
        return route.path
    return scope.get("route_template", "unmatched")


class RequestContextMiddleware:
    """Gives each request an id, enforces body limits, and turns crashes into problem responses."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _resident(self, authorization: str) -> bool:
        """Whether a valid access token of a resident came: their answers default to Chinese."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or token.startswith("wst_"):
            return False
        try:
            return decode_access_token(self.settings, token.strip())["role"] == Role.resident.value
        except InvalidToken:
            return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = set_request_id(request_id)
        language_token = language.begin(
            scope.get("path", ""),
            headers.get("accept-language"),
            resident=self._resident(headers.get("authorization", "")),
        )
        started, status, begun = False, 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                message.setdefault("headers", [])
                extra = [(b"x-request-id", request_id.encode())]
                # nosniff on every answer (errors and the fast lane's too): no browser reads JSON or a file as HTML.
                if not any(k.lower() == b"x-content-type-options" for k, _ in message["headers"]):
                    extra.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = [*message["headers"], *extra]
            await send(message)

        async def problem(
            status: int, code: str, title: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None, **extra
        ) -> None:
            body = json.dumps(
                problem_body(status, code, title, detail, scope.get("path"), **extra), ensure_ascii=False
            ).encode()
            said = [(k.lower().encode(), v.encode()) for k, v in language_headers().items()]
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                        *said,
                        *(headers or []),
                    ],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})

        try:
            if not host_allowed(headers.get("host", ""), self.settings.allowed_hosts):
                await problem(
                    400,
                    "host_not_allowed",
                    "Host not allowed",
                    "请求的主机名不在本服务允许的范围内。The Host header names a host this service does not answer to.",
                )
                return
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            limit = (
                self.settings.max_upload_bytes if content_type in _UPLOAD_TYPES else self.settings.max_json_body_bytes
            )
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await problem(
                    413,
                    "payload_too_large",
                    "Request body too large",
                    f"The body may be at most {limit} bytes.",
                    limit=limit,
                )
                return
            if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
                # Read (at most limit bytes) before the app: the parsers never see an oversized
                # or over-deep body, and a chunked body without Content-Length is bounded too.
                body = await _read_limited(receive, limit)
                if content_type.endswith("json") and json_too_deep(body, self.settings.max_json_depth):
                    await problem(
                        400,
                        "json_too_deep",
                        "JSON nested too deeply",
                        f"Arrays and objects may nest at most {self.settings.max_json_depth} deep.",
                    )
                    return
                receive = replay(body, receive)
            await self.app(scope, receive, send_with_id)
        except _BodyTooLarge:
            if not started:
                await problem(
                    413,
                    "payload_too_large",
                    "Request body too large",
                    f"The body may be at most {limit} bytes.",
                    limit=limit,
                )
        except Exception as exc:
            if database_unavailable(exc):
                metrics.DB_UNAVAILABLE.inc()
                log.warning(
                    "database unavailable on %s %s: %s: %s",
                    scope.get("method"),
                    scope.get("path"),
                    type(exc).__name__,
                    exc,
                )
                if not started:
                    await problem(
                        503,
                        "database_unavailable",
                        "Service temporarily unavailable",
                        "The database is not reachable or did not answer in time; retry shortly.",
                        headers=[(b"retry-after", b"5")],
                    )
                return
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await problem(
                    500,
                    "internal_error",
                    "Internal server error",
                    "The server failed to handle this request; quote the request id.",
                )
        finally:
            seconds, route = time.perf_counter() - begun, route_template(scope)
            metrics.observe(scope["method"], route, status, seconds)
            access.info(
                "%s %s %s",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            language.end(language_token)
            reset_request_id(token)


async def _read_limited(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
