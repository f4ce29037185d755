"""Bilingual (English, Chinese) reasons for allocation outcomes. Amounts come in integer fen and are written
for people in 元 (yuan) with two decimals; the exact values stay in the explanation's numeric fields."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import floor

from app.analytics.allocation_model import Payment

Text = tuple[str, str]


def rounded(value: Fraction | int) -> int:
    """Round half up to a whole fen (display only; the exact value is kept alongside)."""
    return floor(Fraction(value) + Fraction(1, 2))


def _yuan(fen: int) -> str:
    # Analytics imports nothing from app: this is app.common.money.yuan's figure without its unit.
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def money(value: Fraction | int) -> Text:
    """An amount in fen as 元 with two decimals; "about" when a share is not a whole fen."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{_yuan(value.numerator)} yuan", f"{_yuan(value.numerator)} 元"
    return f"about {_yuan(rounded(value))} yuan", f"约 {_yuan(rounded(value))} 元"


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
    return (f"funded in score order: {s} points, cost {c[0]} fits the {left[0]} left",
            f"按得分顺序入选：{s} 分值，成本 {c[1]}，不超过余额 {left[1]}")


def below_threshold(score: Fraction, threshold: Fraction) -> Text:
    """A project whose support did not reach the rule's minimum."""
    s, t = _points(score), _points(threshold)
    return (f"not funded: its score {s} is below the threshold {t} the rule requires",
            f"未入选：得分 {s} 低于规则要求的门槛 {t}")


def stopped_at(first: str) -> Text:
    """A project after the first one that did not fit, under a rule that stops there."""
    return (f"not funded: the rule stops at the first project that does not fit ({first})",
            f"未入选：规则在第一个超出余额的项目（{first}）处停止")
