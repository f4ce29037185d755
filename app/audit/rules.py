"""How an event is hashed and how a chain is checked (pure)."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.audit.models import GENESIS_HASH

# Chain years are counted in Shanghai, like programme years (a year's partition holds what happened in it there).
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def chain_year(head_year: int, occurred_at: datetime) -> int:
    """The chain year of an event linked after a head of head_year: the Shanghai year it occurred in, never lower
    than the head's, so a late-sealed event of last year joins this year's partition and seq and year rise
    together (a detached year is then a prefix of the chain)."""
    return max(head_year, occurred_at.astimezone(_SHANGHAI).year)


def canonical(value: Any) -> str:
    """A stable JSON text of value (sorted keys, no spaces, non-JSON types as strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous link and this event's content."""
    return hashlib.sha256((prev_hash + "|" + canonical(fields)).encode()).hexdigest()


HASHED_FIELDS = (
    "id",
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "region_path",
    "before",
    "after",
    "request_id",
)


def hashed_content(row: Any) -> dict[str, Any]:
    """The fields of an event that its hash covers, in canonical form."""
    out = {}
    for name in HASHED_FIELDS:
        value = getattr(row, name)
        if name == "occurred_at":
            value = value.isoformat(timespec="microseconds")
        elif name == "id":
            value = str(value)
        out[name] = value
    return out


@dataclass(frozen=True)
class Break:
    """The first link that does not verify."""

    seq: int
    event_id: str
    reason: str


def first_break(events: Iterable[Any], prev_hash: str = GENESIS_HASH, prev_seq: int = 0) -> Break | None:
    """Walk events in seq order; return the first whose link or content does not verify."""
    for ev in events:
        if ev.seq != prev_seq + 1:
            return Break(ev.seq, str(ev.id), f"sequence gap: expected {prev_seq + 1}, found {ev.seq}")
        if ev.prev_hash != prev_hash:
            return Break(ev.seq, str(ev.id), "prev_hash does not match the previous event's hash")
        if event_hash(ev.prev_hash, hashed_content(ev)) != ev.hash:
            return Break(ev.seq, str(ev.id), "content does not match its hash (edited)")
        prev_hash, prev_seq = ev.hash, ev.seq
    return None
