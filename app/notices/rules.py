"""Notice rules (pure): windows, phases, the programme minimum, tracking codes, and reallocating freed money."""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.analytics.allocation_text import money
from app.notices.workdays import WindowEnd, YearCalendar, add_calendar_days, add_working_days
from app.programmes.ruleset import POINT_BALLOTS, NoticeRule
from app.voting.rules import TallyInput, choice_mask, point_totals, run_allocation, vote_counts

SHANGHAI = ZoneInfo("Asia/Shanghai")
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read aloud over the phone


def today(now: datetime) -> date:
    """The calendar day in Asia/Shanghai, where notices are posted."""
    return now.astimezone(SHANGHAI).date()


def window(rule: NoticeRule, days: int, starts_on: date, calendars: Mapping[int, YearCalendar]) -> WindowEnd:
    """The last day of a notice of `days` units (the programme's unit) opening on starts_on."""
    if rule.unit == "working_days":
        return add_working_days(starts_on, days, dict(calendars))
    return add_calendar_days(starts_on, days)


def too_short(rule: NoticeRule, days: int) -> str | None:
    """Why a notice of `days` is shorter than the programme allows, or None."""
    if days < rule.days:
        unit = "working days (工作日)" if rule.unit == "working_days" else "calendar days"
        return f"A notice runs at least {rule.days} {unit} under this programme; {days} asked."
    return None


def material_change(noticed_fen: int, noticed_implementer: str, budget_fen: int, implementer: str | None) -> str | None:
    """What in a confirmation is a material change (a higher budget, another implementer), or None.

    A material change is published and the project's notice starts over (PATCH /notice-items/{id});
    confirmation itself only lowers the budget or revises the text (修改完善)."""
    if budget_fen > noticed_fen:
        return "budget_above_notice"
    if implementer is not None and implementer.strip() != noticed_implementer.strip():
        return "implementer_changed"
    return None


def phase(starts_on: date, ends_on: date, on: date) -> str:
    """upcoming, open (both end days included) or ended."""
    if on < starts_on:
        return "upcoming"
    return "open" if on <= ends_on else "ended"


def tracking_code() -> str:
    """YY-XXXX-XXXX: 40 random bits, enough to be unguessable for a public status page."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"YY-{chars[:4]}-{chars[4:]}"


def parse_calendar_days(year: int, values: Sequence[str], label: str) -> tuple[frozenset[date], list[str]]:
    """ISO dates of one year; the errors name each impossible or out-of-year date."""
    days, errors = set(), []
    for text in values:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            errors.append(f"{label}: {text!r} is not a real date (YYYY-MM-DD)")
            continue
        if day.year != year:
            errors.append(f"{label}: {text} is not in {year}")
        days.add(day)
    return frozenset(days), errors


@dataclass(frozen=True)
class Reallocation:
    """Who gains the money an upheld objection freed, and why, in funding order."""

    kept: tuple[int, ...]
    newly_selected: tuple[int, ...]
    money_left_fen: int
    steps: tuple[dict[str, Any], ...]


def reallocate(
    tally: TallyInput, selected: Sequence[int], removed: set[int], freed_fen: int | None = None
) -> Reallocation:
    """Keep every selected project not removed; offer the freed money to the others, in the order the round's
    rule ranks them without the removed projects (its winners first, then by votes), skipping what no longer
    fits or conflicts with a funded project of its incompatible group.

    The money offered is `freed_fen` (what the round held for the project just taken out), never more than
    the budget less the kept projects: what the round left unallocated at its close was released to the pilot
    then and may be promised to another round since."""
    kept = tuple(n for n in selected if n not in removed)
    left = tally.budget_fen - sum(tally.costs[n] for n in kept)
    if freed_fen is not None:
        left = min(left, freed_fen)
    remaining = {n: c for n, c in tally.costs.items() if n not in removed}
    cleared = ~choice_mask(removed)
    profile: dict[int, int] = {}
    for mask, count in tally.profile.items():  # ballots keep their other choices
        profile[mask & cleared] = profile.get(mask & cleared, 0) + count
    groups = tuple(
        kept_group for g in tally.incompatible_groups if len(kept_group := tuple(n for n in g if n not in removed)) >= 2
    )
    points: dict[tuple[int, ...], int] = {}
    for choices, count in tally.points_profile.items():  # point ballots keep their other projects, in order
        key = tuple(n for n in choices if n not in removed)
        points[key] = points.get(key, 0) + count
    rerun = run_allocation(TallyInput(tally.budget_fen, remaining, profile, tally.rule, groups, points))
    votes = (
        point_totals(tally.costs, tally.points_profile, tally.rule)
        if tally.rule.ballot_type in POINT_BALLOTS
        else vote_counts(tally.costs, tally.profile)
    )
    by_rule = [int(p) for p in rerun.selected]
    rest = sorted((n for n in remaining if n not in by_rule), key=lambda n: (-votes[n], remaining[n], n))
    group_of = {n: i for i, g in enumerate(tally.incompatible_groups) for n in g}
    taken_groups = {group_of[n] for n in kept if n in group_of}
    newly, steps = [], []
    for n in by_rule + rest:
        if n in kept:
            continue
        cost = remaining[n]
        if n in group_of and group_of[n] in taken_groups:
            steps.append(
                _step(
                    n,
                    votes[n],
                    cost,
                    left,
                    "incompatible",
                    "与已入选项目互斥，不予资助",
                    "incompatible with a funded project of its group",
                )
            )
        elif cost > left:
            steps.append(
                _step(
                    n,
                    votes[n],
                    cost,
                    left,
                    "not_enough_money",
                    "释放资金不足，未入选",
                    "the freed money does not cover it",
                )
            )
        else:
            steps.append(
                _step(
                    n,
                    votes[n],
                    cost,
                    left,
                    "funded_from_freed_money",
                    "由释放资金递补入选",
                    "funded from the freed money",
                )
            )
            newly.append(n)
            left -= cost
            if n in group_of:
                taken_groups.add(group_of[n])
    return Reallocation(kept, tuple(newly), left, tuple(steps))


@dataclass(frozen=True)
class Ranked:
    """An application as a closed review panel ranked it: its standing (out of 100) and cost."""

    number: int
    standing: float
    cost_fen: int


def reallocate_ranking(
    ranking: Sequence[Ranked], budget_fen: int, selected: Sequence[int], removed: set[int], freed_fen: int
) -> Reallocation:
    """A review panel's counterpart of `reallocate`: keep every selected application not removed and offer the
    freed money down the panel's ranking (best standing first; a tie to the lower cost, then the lower number,
    as the close's greedy fill broke it), skipping what no longer fits; an application that stands at zero
    (nobody scored it) is never funded, as at the close. `ranking` holds only the applications that may still
    gain money besides the kept ones; the money offered is at most `freed_fen`."""
    kept = tuple(n for n in selected if n not in removed)
    costs = {r.number: r.cost_fen for r in ranking}
    left = min(budget_fen - sum(costs.get(n, 0) for n in kept), freed_fen)
    newly: list[int] = []
    steps: list[dict[str, Any]] = []
    for r in sorted(ranking, key=lambda r: (-r.standing, r.cost_fen, r.number)):
        if r.number in kept or r.number in removed:
            continue
        if r.standing <= 0:
            steps.append(_ranked_step(r, left, "unscored", "无评分，不予资助", "nobody scored it"))
        elif r.cost_fen > left:
            steps.append(
                _ranked_step(r, left, "not_enough_money", "释放资金不足，未入选", "the freed money does not cover it")
            )
        else:
            steps.append(
                _ranked_step(r, left, "funded_from_freed_money", "由释放资金递补入选", "funded from the freed money")
            )
            newly.append(r.number)
            left -= r.cost_fen
    return Reallocation(kept, tuple(newly), left, tuple(steps))


def _ranked_step(r: Ranked, left: int, code: str, zh: str, en: str) -> dict[str, Any]:
    c, rest = money(r.cost_fen), money(left)
    return {
        "number": r.number,
        "standing": r.standing,
        "cost_fen": r.cost_fen,
        "money_left_fen": left,
        "code": code,
        "reason_zh": f"{r.number}号申请（评审得分 {r.standing:.2f}，成本 {c[1]}，剩余 {rest[1]}）：{zh}",
        "reason_en": f"application {r.number} (standing {r.standing:.2f}, cost {c[0]}, {rest[0]} left): {en}",
    }


def _step(number: int, votes: int, cost: int, left: int, code: str, zh: str, en: str) -> dict[str, Any]:
    c, rest = money(cost), money(left)
    return {
        "number": number,
        "votes": votes,
        "cost_fen": cost,
        "money_left_fen": left,
        "code": code,
        "reason_zh": f"{number}号项目（{votes} 票，成本 {c[1]}，剩余 {rest[1]}）：{zh}",
        "reason_en": f"project {number} ({votes} votes, cost {c[0]}, {rest[0]} left): {en}",
    }
