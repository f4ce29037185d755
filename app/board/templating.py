"""Jinja2 for the board: autoescaping on, the formatting filters, and the headers every page carries."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from app.board.format import label, local, yuan

HERE = Path(__file__).resolve().parent
# autoescape=True on every template: everything on these pages (titles, reasons, replies) was typed by someone.
# StrictUndefined: a misspelt variable fails the page (and the tests) instead of printing nothing.
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(yuan=yuan, local=local)
_env.globals.update(label=label)
TEMPLATES = Jinja2Templates(env=_env)
CSS = (HERE / "static" / "board.css").read_text(encoding="utf-8")

# No script on these pages at all; forms post only to us; never framed (clickjacking the objection form).
# Referrer-Policy same-origin keeps the Referer our own form posts may be checked by, and sends none elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(
    request: Request, name: str, context: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """Render a template as an HTML response with the board's headers."""
    return TEMPLATES.TemplateResponse(
        request, name, context, status_code=status, headers={**HEADERS, **(headers or {})}
    )


def error(request: Request, status: int, message: str) -> HTMLResponse:
    """A page saying what went wrong (a missing notice, round or community)."""
    return render(request, "error.html", {"status": status, "message": message}, status)
