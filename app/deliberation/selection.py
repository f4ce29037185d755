"""Choosing council participants: invitations, quotas and a seeded, reproducible random draw (pure).

The same candidates, seats, quotas and seed always give the same participants, whatever order the
candidates arrive in: they are sorted by id before the draw, and the draw uses its own
random.Random(seed), never the process-wide generator.
"""

import random
from dataclasses import dataclass

from app.deliberation.enums import SelectionMethod


@dataclass(frozen=True)
class Candidate:
    """A candidate as the draw sees it."""

    id: str
    group: str | None
    invited: bool


@dataclass(frozen=True)
class Quota:
    """Seats reserved for one group (重点配额)."""

    group: str
    seats: int


@dataclass(frozen=True)
class Selection:
    """Who got a seat and why, plus quota groups that had too few candidates."""

    chosen: dict[str, SelectionMethod]
    shortfalls: dict[str, int]


class SelectionError(ValueError):
    """The seats cannot hold the invitations and quotas asked for."""


def select_participants(candidates: list[Candidate], seats: int, quotas: list[Quota], seed: int) -> Selection:
    """Invited first, then each quota drawn from its group, then the remaining seats drawn from everyone left."""
    invited = sorted(c.id for c in candidates if c.invited)
    reserved = sum(q.seats for q in quotas)
    if len(invited) + reserved > seats:
        raise SelectionError(f"{len(invited)} invited and {reserved} quota seats exceed the {seats} seats.")
    rng = random.Random(seed)
    chosen: dict[str, SelectionMethod] = dict.fromkeys(invited, SelectionMethod.invitation)
    pool = sorted((c for c in candidates if not c.invited), key=lambda c: c.id)
    shortfalls: dict[str, int] = {}
    for quota in sorted(quotas, key=lambda q: q.group):
        group = [c.id for c in pool if c.group == quota.group and c.id not in chosen]
        take = min(quota.seats, len(group))
        if take < quota.seats:
            shortfalls[quota.group] = quota.seats - take
        chosen.update(dict.fromkeys(rng.sample(group, take), SelectionMethod.quota))
    rest = [c.id for c in pool if c.id not in chosen]
    free = seats - len(chosen)
    chosen.update(dict.fromkeys(rng.sample(rest, min(free, len(rest))), SelectionMethod.random))
    return Selection(chosen, shortfalls)
