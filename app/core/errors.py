"""Domain errors rendered as RFC 9457 application/problem+json with a stable machine code."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.request_context import current_request_id
from app.i18n import language
from app.i18n.problems import localise

log = logging.getLogger("weishi.errors")
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://weishi.cn/problems/"


class ProblemError(Exception):
    """Base of every error the API answers with; subclasses fix status, code and title."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    # Set when the failure itself must be recorded (failed login attempts, a refresh-token reuse
    # that revokes a family): the request's transaction is committed before the error is sent.
    commit: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        commit: bool | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}
        if commit is not None:
            self.commit = commit


class BadRequest(ProblemError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class Unprocessable(ProblemError):
    status, code, title = 422, "unprocessable", "The request cannot be processed"


class TooManyRequests(ProblemError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))
        self.extra.setdefault("retry_after", max(1, int(retry_after)))


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service_unavailable", "Service temporarily unavailable"


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def problem_body(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON of one problem (RFC 9457 members plus code and request_id), in the request's language."""
    _, title, detail = localise(status, code, title, detail)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    return JSONResponse(
        problem_body(status, code, title, detail, instance, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={**language_headers(), **(headers or {})},
    )


def language_headers() -> dict[str, str]:
    """Content-Language of a problem, and Vary: its words follow Accept-Language."""
    return {"Content-Language": language.current(), "Vary": "Accept-Language"}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Route every error FastAPI or the domain raises through one problem renderer."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.code, exc.title, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(
                400,
                "malformed_json",
                "Malformed JSON",
                "The request body is not valid JSON.",
                instance=request.url.path,
                errors=errors,
            )
        return problem_response(
            422,
            "validation_error",
            "Invalid request",
            "The request does not match the schema; see errors.",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        return problem_response(
            exc.status_code, code, title, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )


PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: declares its problem responses in the OpenAPI document."""
    return {
        s: {"description": STATUS_CODES.get(s, "error"), "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for s in statuses
    }
