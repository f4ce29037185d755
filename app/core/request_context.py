"""The current request's id, reachable from logs, audit events and error bodies."""

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def set_request_id(value: str | None):
    """Bind a request id to this context; returns the token to reset it."""
    return _request_id.set(value)


def reset_request_id(token) -> None:
    """Undo set_request_id."""
    _request_id.reset(token)
