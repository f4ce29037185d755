"""The language of a request's answers: Accept-Language when sent (an unknown language falls back to Chinese),
else Chinese for the public (board, public API, resident phone login) and for residents, English for staff."""

import re
from contextvars import ContextVar

ZH, EN = "zh-CN", "en"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUBLIC_PREFIXES = ("/board", "/api/v1/public/", "/api/v1/auth/otp/")

# One holder per request, set by the middleware before any routing, so problems raised before the
# caller's dependency ran (a path parameter's 404) speak the caller's language too.
_request_language: ContextVar[dict | None] = ContextVar("request_language", default=None)


def negotiate(accept_language: str | None) -> str | None:
    """zh-CN or en from an Accept-Language header by quality; None when absent; Chinese for anything else."""
    if not accept_language or not accept_language.strip():
        return None
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([^\s;]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary == "zh":
            return ZH
        if primary == "en":
            return EN
    return ZH


def begin(path: str, accept_language: str | None, *, resident: bool = False):
    """Bind this request's language holder; returns the token for end()."""
    return _request_language.set(
        {"asked": negotiate(accept_language), "public": path.startswith(_PUBLIC_PREFIXES), "resident": resident}
    )


def end(token) -> None:
    """Undo begin()."""
    _request_language.reset(token)


def current() -> str:
    """The language this request is answered in (English outside a request, as the API's staff default)."""
    holder = _request_language.get()
    if holder is None:
        return EN
    if holder["asked"]:
        return holder["asked"]
    return ZH if holder["public"] or holder["resident"] else EN


def has_chinese(text: str) -> bool:
    """Whether the text holds Chinese characters."""
    return bool(_CJK.search(text))
