"""Content-Disposition for files the service sends (RFC 6266, with RFC 8187's filename* for Chinese names)."""

import re
from urllib.parse import quote

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9._ -]")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment` (or `inline`) with an ASCII fallback name and the exact UTF-8 name in filename*."""
    fallback = _NOT_PLAIN.sub("_", filename) or "download"
    return (
        f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
