"""Logs as one JSON object per line (python-json-logger), each carrying the request id of the request it
belongs to; phone numbers and credentials are masked on the way out, whatever a message held."""

import logging
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from app.core.request_context import current_request_id

# Mainland mobile numbers not inside a longer run of digits; bearer JWTs; API tokens; refresh tokens as sent.
# Not inside a longer ASCII word: request ids and UUIDs are hex and hold runs of digits.
_PHONE = re.compile(r"(?<![0-9A-Za-z_-])(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?![0-9A-Za-z_])")
_SECRETS = [
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"),
    re.compile(r"wst_[\w-]+"),
    re.compile(r"(?i)(bearer|refresh_token[\"']?\s*[:=]\s*[\"']?)\s*[\w.-]{16,}"),
]


def redact(text: str) -> str:
    """The text with every phone number masked (138****1234) and every token replaced."""
    text = _PHONE.sub(r"\1****\2", text)
    for pattern in _SECRETS:
        text = pattern.sub("[redacted]", text)
    return text


class RequestContext(logging.Filter):
    """Stamp each record with the id of the request being served (None outside requests) and mask what must
    never reach a log: the message is rendered here, so its arguments are masked too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:  # the traceback as text, masked; the formatter would render the raw one
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def json_handler(stream: TextIO) -> logging.Handler:
    """A handler writing one JSON object per line to stream."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    )
    handler.addFilter(RequestContext())
    handler.weishi = True  # ours: configure() installs it once per process
    return handler


def configure(level: str) -> None:
    """JSON lines on stderr for the root logger and uvicorn's, once per process; uvicorn's own access log is
    off: RequestContextMiddleware writes one line per request with its route template instead of the raw
    path (which can hold a receipt or tracking code)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "weishi", False) for h in root.handlers):
        root.addHandler(json_handler(sys.stderr))
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        if logger.handlers:  # in place and only when needed: each app a test builds must leave the heap alone
            logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
