"""What the notifications worker asks of the feature domains, without importing them: each feature registers its
answers at startup (`app/wiring.py`), so the foundation stays below the features
(tests/architecture/test_layers.py).

- an **audience**: who hears of an event of a kind (a round's or a notice's community roll, from `voting`);
- a **check**: whether an event of a kind is still due, read from its subject as it stands now (a round's
  reminders, from `voting`): (why to drop it, when to put it off), both None to send now;
- a **sweep**: a search for events no request causes (overdue milestones, instalments due, from
  `implementation`), run by the worker every few minutes; each returns how many events it raised."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.notifications.models import NotificationEvent, NotificationKind

Audience = Callable[[AsyncSession, NotificationEvent], Awaitable[list[uuid.UUID]]]
Check = Callable[[AsyncSession, NotificationEvent], Awaitable[tuple[str | None, datetime | None]]]
Sweep = Callable[[AsyncSession], Awaitable[int]]

_audiences: dict[NotificationKind, Audience] = {}
_checks: dict[NotificationKind, Check] = {}
_sweeps: dict[str, Sweep] = {}


def provide_audience(kind: NotificationKind, audience: Audience) -> None:
    """Register who hears of events of `kind` (replacing an earlier registration)."""
    _audiences[kind] = audience


def provide_check(kind: NotificationKind, check: Check) -> None:
    """Register how to tell whether an event of `kind` is still due."""
    _checks[kind] = check


def provide_sweep(name: str, sweep: Sweep) -> None:
    """Register a sweep under a name (registering the name again replaces it)."""
    _sweeps[name] = sweep


def audience(kind: NotificationKind) -> Audience:
    """Who hears of events of `kind`; a kind nobody registered is a wiring mistake."""
    if kind not in _audiences:
        raise RuntimeError(f"No audience registered for {kind}: call app.wiring.wire() at startup.")
    return _audiences[kind]


def check(kind: NotificationKind) -> Check:
    """The due check of `kind`; a kind nobody registered is a wiring mistake."""
    if kind not in _checks:
        raise RuntimeError(f"No due check registered for {kind}: call app.wiring.wire() at startup.")
    return _checks[kind]


def sweeps() -> list[Sweep]:
    """Every registered sweep, in the order they were registered; none registered is a wiring mistake."""
    if not _sweeps:
        raise RuntimeError("No notification sweeps registered: call app.wiring.wire() at startup.")
    return list(_sweeps.values())
