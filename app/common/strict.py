"""Client input takes only what its schema declares, and text that the database can store.

Pydantic's lax mode would take a number for a date (a Unix time), "12" for an integer and 1 or "yes" for a
boolean: a client that sends those is wrong, and accepting them hides the mistake (and makes the OpenAPI
document lie). Pydantic's own strict mode cannot simply be switched on: FastAPI validates the decoded JSON in
Python mode, where strict mode also refuses the ISO strings that carry dates, UUIDs and enum values. So
request models (`StrictInput`) get their integers, numbers and booleans strict and their dates and
date-times ISO-only, by rewriting their validation schema once when the class is built; query parameters
use the annotated types below. The JSON schema, and so the OpenAPI document, does not change.

Request models trim text (WriteModel) before pydantic checks its length and pattern, so " abc" passed a
pattern that refuses spaces and a name padded past its maxLength passed: the schema's limits now hold for the
text as sent, and trimming comes after.

Text may not contain NUL (U+0000): PostgreSQL cannot store it and refuses the whole statement, which would be
a 500 (JSON allows it as "\\u0000"). Request models refuse it in every string; free-text parameters use
ParamText.

Names and titles (DisplayText) are shown to people on the board, in notices and in `.pb` files: they need a
visible character (a title of zero-width spaces is a blank line nobody can click), and may not hold
bidirectional controls (U+202E turns "gpj.exe" into what reads as "exe.jpg", and a name into another name).
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, PydanticKnownError, core_schema

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 wants the time too: "2026-01-01" is a date, not an instant.
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def iso_date(value: Any) -> Any:
    """Let a date or an ISO 8601 date string through to pydantic; refuse numbers (Unix times) and the rest."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError("date_type", "Input should be a date as YYYY-MM-DD")


def iso_datetime(value: Any) -> Any:
    """Let a datetime or an ISO 8601 date-time string through to pydantic; refuse numbers and the rest."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 date-time, YYYY-MM-DDTHH:MM:SS")


def query_bool(value: Any) -> Any:
    """A boolean query parameter is `true` or `false`, as JSON writes them; not 1, yes, on or t."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value
    raise PydanticCustomError("bool_type", "Input should be true or false")


def no_nul(value: str) -> str:
    """Text without NUL characters, which PostgreSQL cannot store."""
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "Text may not contain NUL (U+0000) characters")
    return value


# Explicit formatting and isolate controls that reorder what follows them; the implicit marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Letters and symbols Unicode files as visible that every font draws as blank space (fillers, braille blank).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_GLYPHS


def display_problem(value: str) -> str | None:
    """Why a name or title cannot be shown as it reads, or None (for text that arrives outside a schema, as CSV)."""
    if any(ch in BIDI_CONTROLS for ch in value):
        return (
            "名称和标题不能含有改变文字方向的控制字符。"
            "Names and titles may not contain bidirectional control characters."
        )
    if not any(_visible(ch) for ch in value):
        return "名称和标题须含有可见字符。Names and titles need at least one visible character."
    return None


def displayable(value: str) -> str:
    """A name or title with a visible character and no bidirectional controls (see the module docstring)."""
    problem = display_problem(value)
    if problem:
        raise PydanticCustomError("display_text", problem)
    return value


# Query parameters arrive as text, so integers must stay lax there ("12" is how a query writes 12).
QueryDate = Annotated[date, BeforeValidator(iso_date)]
QueryInstant = Annotated[AwareDatetime, BeforeValidator(iso_datetime)]
QueryBool = Annotated[bool, BeforeValidator(query_bool)]
# Free text in a query, path or form parameter that reaches the database.
ParamText = Annotated[str, AfterValidator(no_nul)]
# Every name and title a client sends (proposals, regions, organisations, representatives, rounds, ...).
DisplayText = Annotated[str, AfterValidator(displayable)]


def _as_sent(max_length: int | None, pattern: str | None) -> Callable[[Any], Any]:
    """A check of text as sent, before trimming, against the limits the schema publishes."""
    regex = re.compile(pattern) if pattern else None

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if max_length is not None and len(value) > max_length:
                raise PydanticKnownError("string_too_long", {"max_length": max_length})
            if regex is not None and not regex.search(value):
                raise PydanticKnownError("string_pattern_mismatch", {"pattern": pattern})
        return value

    return check


_STRICT = {"int", "float", "bool"}
_ISO = {"date": iso_date, "datetime": iso_datetime}
# Keys of a core schema that hold data or serialisation rather than validation schemas.
_NOT_SCHEMAS = {"serialization", "metadata", "default", "expected", "config", "cls", "ref", "function"}


def _tighten(node: Any, owner: type) -> Any:
    """A copy of a core schema with strict numbers and booleans, ISO-only dates, and text NUL-free and within
    its limits as sent; nested models other than `owner` are left as they are (a nested StrictInput tightened
    itself)."""
    if isinstance(node, list | tuple):
        return type(node)(_tighten(item, owner) for item in node)
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if not isinstance(kind, str):  # a mapping of fields by name, not a schema
        return {key: _tighten(value, owner) for key, value in node.items()}
    if kind == "model" and node.get("cls") is not owner:
        return node
    copy = {key: value if key in _NOT_SCHEMAS else _tighten(value, owner) for key, value in node.items()}
    if kind in _STRICT:
        copy["strict"] = True
    if kind in _ISO:
        return core_schema.no_info_before_validator_function(_ISO[kind], copy)
    if kind == "str":
        text = core_schema.no_info_after_validator_function(no_nul, copy)
        if "max_length" in copy or "pattern" in copy:
            check = _as_sent(copy.get("max_length"), copy.get("pattern"))
            return core_schema.no_info_before_validator_function(check, text)
        return text
    return copy


class StrictInput(BaseModel):
    """Base of every model a client sends (see the module docstring)."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls,
        source: type[BaseModel],
        handler: GetCoreSchemaHandler,
    ) -> core_schema.CoreSchema:
        tightened: core_schema.CoreSchema = _tighten(handler(source), cls)
        return tightened
