"""Bilingual (English, Chinese) reasons for allocation outcomes. Amounts come in integer fen and are written
for people in 元 (yuan) with two decimals; the exact values stay in the explanation's numeric fields.

An allocation of an uploaded pabulib file counts in the file's own money (scaled to whole units): inside
`money_unit(file_unit(...))` amounts are written in the file's META currency (PLN, EUR, ...), or with no unit
when the file names none, never as 元 unless the file is in CNY."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from app.analytics.allocation_model import Payment

Text = tuple[str, str]


def rounded(value: Fraction | int) -> int:
    """Round half up to a whole fen (display only; the exact value is kept alongside)."""
    return floor(Fraction(value) + Fraction(1, 2))


@dataclass(frozen=True)
class MoneyUnit:
    """How amounts are written: `scale` allocation units make one displayed unit, shown with `decimals` decimals
    and labelled `en` / `zh` (empty: no label)."""

    scale: int = 100
    decimals: int = 2
    en: str = "yuan"
    zh: str = "元"


YUAN = MoneyUnit()
_UNIT: ContextVar[MoneyUnit] = ContextVar("allocation_money_unit", default=YUAN)
_YUAN_CODES = frozenset({"CNY", "RMB"})


def file_unit(money_scale: int, currency: str | None) -> MoneyUnit:
    """The unit of a pabulib file's amounts: scaled by money_scale (a power of ten), in its META currency."""
    digits = str(money_scale)
    decimals = len(digits) - 1 if digits.rstrip("0") == "1" else 2
    code = (currency or "").strip()[:12]
    if code.upper() in _YUAN_CODES:
        return MoneyUnit(money_scale, max(decimals, 2), "yuan", "元")
    return MoneyUnit(money_scale, decimals, code, code)


@contextmanager
def money_unit(unit: MoneyUnit) -> Iterator[None]:
    """Write amounts in `unit` inside the block (the default: integer fen as 元)."""
    token = _UNIT.set(unit)
    try:
        yield
    finally:
        _UNIT.reset(token)


def _figure(minor: int, decimals: int) -> str:
    # Analytics imports nothing from app: with the default unit this is app.common.money.yuan's figure.
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    whole, part = divmod(minor, 10**decimals)
    return f"{sign}{whole:,}" + (f".{part:0{decimals}d}" if decimals else "")


def money(value: Fraction | int) -> Text:
    """An amount in fen as 元 with two decimals (or in the unit set by money_unit); "about" when a share is not a
    whole fen (a whole smallest displayed unit)."""
    unit = _UNIT.get()
    shown = Fraction(value) * 10**unit.decimals / unit.scale
    en, zh = (f" {unit.en}" if unit.en else ""), (f" {unit.zh}" if unit.zh else "")
    if shown.denominator == 1:
        figure = _figure(shown.numerator, unit.decimals)
        return f"{figure}{en}", f"{figure}{zh}"
    figure = _figure(rounded(shown), unit.decimals)
    return f"about {figure}{en}", f"约 {figure}{zh}"


def _people(count: int) -> str:
    return f"{count} supporter" if count == 1 else f"{count} supporters"


def _ids(ids: Sequence[str]) -> Text:
    return ", ".join(ids), "、".join(ids)


def funded_greedy(votes: int, cost: int, left_before: int, stage: str) -> Text:
    """A project funded in vote order because it still fitted."""
    c, left = money(cost), money(left_before)
    if stage == "completion":
        return (
            f"funded in the greedy completion after equal shares: {votes} votes, cost {c[0]} "
            f"fits the {left[0]} still unspent",
            f"均等份额法之后按票数补足入选：{votes} 票，成本 {c[1]}，不超过剩余的 {left[1]}",
        )
    return (
        f"funded in vote order: {votes} votes, cost {c[0]} fits the {left[0]} left",
        f"按票数顺序入选：{votes} 票，成本 {c[1]}，不超过余额 {left[1]}",
    )


def not_enough_money(cost: int, left: int, before: Sequence[str]) -> Text:
    """A project skipped because the money left no longer covered it."""
    c, rest = money(cost), money(left)
    if not before:
        return (
            f"not enough money: its cost {c[0]} exceeds the budget {rest[0]}",
            f"资金不足：成本 {c[1]} 超过预算 {rest[1]}",
        )
    en, zh = _ids(before)
    return (
        f"not enough money left after projects {en}: {rest[0]} remaining, cost {c[0]}",
        f"资金不足：已选项目 {zh} 后余额为 {rest[1]}，少于成本 {c[1]}",
    )


def incompatible(by: str) -> Text:
    """A project excluded by a funded project of the same incompatible group."""
    return (
        f"not funded: incompatible with funded project {by} (at most one of the group may be funded)",
        f"未入选：与已入选项目 {by} 互斥（同组最多资助一个）",
    )


def funded_equal_shares(payment: Payment, voter_budget: Fraction) -> Text:
    """A project bought by its supporters out of their equal shares."""
    price, share = money(payment.per_supporter), money(voter_budget)
    en = f"funded by equal shares (each voter's share {share[0]}): {_people(payment.full_payers)} paid {price[0]} each"
    zh = f"均等份额法入选（每位投票人份额 {share[1]}）：{payment.full_payers} 位支持者各付 {price[1]}"
    if payment.partial_payers:
        rest = money(payment.partial_total)
        en += f"; {_people(payment.partial_payers)} with less left paid all they had ({rest[0]} in total)"
        zh += f"；另有 {payment.partial_payers} 位余额不足的支持者付出全部余额（共 {rest[1]}）"
    return en, zh


def free_project() -> Text:
    """A free project, which equal shares with cost utilities does not buy."""
    return (
        "it costs nothing, so under cost utilities it brings no utility and equal shares does not fund it",
        "成本为零，按成本计效用时无效用，均等份额法不予资助",
    )


def shares_too_small(left: Fraction, cost: int, voter_budget: Fraction, before: Sequence[str]) -> Text:
    """A project whose supporters' remaining shares could not cover its cost."""
    have, c, share = money(left), money(cost), money(voter_budget)
    en = f"under equal shares (each voter's share {share[0]}) its supporters had only {have[0]} left"
    zh = f"均等份额法（每位投票人份额 {share[1]}）下其支持者仅剩 {have[1]}"
    if before:
        ids_en, ids_zh = _ids(before)
        en += f" after projects {ids_en}"
        zh = f"均等份额法（每位投票人份额 {share[1]}）下，已选项目 {ids_zh} 后其支持者仅剩 {have[1]}"
    return en + f", less than its cost {c[0]}", zh + f"，少于成本 {c[1]}"


def no_votes() -> Text:
    """A project nobody approved, which equal shares cannot fund."""
    return "no voter approved it, so equal shares cannot fund it", "无人支持，均等份额法无法资助"


def join(first: Text, second: Text) -> Text:
    """Two reasons in sequence (equal shares, then the greedy completion)."""
    return f"{first[0]}; then {second[0]}", f"{first[1]}；随后{second[1]}"


def _points(score: Fraction) -> str:
    score = Fraction(score)
    return str(score.numerator) if score.denominator == 1 else f"{float(score):.2f}"


def funded_by_score(score: Fraction, cost: int, left_before: int) -> Text:
    """A project funded in score order because it still fitted."""
    c, left, s = money(cost), money(left_before), _points(score)
    return (
        f"funded in score order: {s} points, cost {c[0]} fits the {left[0]} left",
        f"按得分顺序入选：{s} 分值，成本 {c[1]}，不超过余额 {left[1]}",
    )


def below_threshold(score: Fraction, threshold: Fraction) -> Text:
    """A project whose support did not reach the rule's minimum."""
    s, t = _points(score), _points(threshold)
    return (
        f"not funded: its score {s} is below the threshold {t} the rule requires",
        f"未入选：得分 {s} 低于规则要求的门槛 {t}",
    )


def stopped_at(first: str) -> Text:
    """A project after the first one that did not fit, under a rule that stops there."""
    return (
        f"not funded: the rule stops at the first project that does not fit ({first})",
        f"未入选：规则在第一个超出余额的项目（{first}）处停止",
    )
