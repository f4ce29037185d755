"""A pabulib file's own rule (META `rule`), recomputed the city's way.

Covered: greedy, greedy-threshold (META min_project_score_threshold), greedy-no-skip, and equal shares
as equalshares.net computes it: equalshares (no completion), equalshares/add1 and
equalshares/add1-comparison, with the tool's default add1 options (exhaustive, integral start) and
the tie-breaking maxVotes then minCost unless the caller names other parameters. Anything else,
and equal shares on ballots other than approval, is refused with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.analytics.allocation_model import AllocationResult
from app.analytics.ballot_scores import UnreadableBallots, approvals, scores, supporters
from app.analytics.equalshares_net import equalshares
from app.analytics.equalshares_params import EqualSharesParams, ParameterError
from app.analytics.pabulib import PabulibElection, PabulibFile, number
from app.analytics.score_greedy import score_greedy

GREEDY_RULES = ("greedy", "greedy-threshold", "greedy-no-skip")
EQUAL_SHARES_RULES: dict[str, dict[str, Any]] = {
    "equalshares": {"completion": "none"},
    "equalshares/add1": {"completion": "add1e", "integral": True},
    "equalshares/add1-comparison": {"completion": "add1e", "integral": True, "comparison": "satisfaction"},
}
OFFICIAL_RULES = GREEDY_RULES + tuple(EQUAL_SHARES_RULES)


def merged_params(rule: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The file rule's equal-shares parameters with the caller's on top (integral only where add1 runs)."""
    merged = {**EQUAL_SHARES_RULES[rule], **overrides}
    if not str(merged.get("completion", "")).startswith("add1") and "integral" not in overrides:
        merged.pop("integral", None)
    return merged


class UnsupportedRule(ValueError):
    """The file's rule is missing or not one this module can recompute."""


def file_rule(pb: PabulibFile) -> str:
    """The META rule, refused when absent or not covered."""
    rule = pb.meta.get("rule", "").strip()
    if not rule:
        raise UnsupportedRule("the file's META has no rule, so there is no official rule to recompute")
    if rule not in OFFICIAL_RULES:
        raise UnsupportedRule(f"the file's rule {rule!r} is not covered; covered rules: {', '.join(OFFICIAL_RULES)}")
    return rule


def _threshold(pb: PabulibFile) -> Any:
    raw = pb.meta.get("min_project_score_threshold")
    if raw is None:
        raise UnsupportedRule("rule greedy-threshold needs META min_project_score_threshold, which this file lacks")
    try:
        return number(raw)
    except ValueError as exc:
        raise UnsupportedRule(f"META min_project_score_threshold {exc}") from None


_COUNTED = {
    "approval": ("approvals", "赞成票数"),
    "choose-1": ("votes", "票数"),
    "ordinal": (
        "points by rank (max_length for a first choice, one less for each next)",
        "名次得分（第一名得 max_length 分，依次减一）",
    ),
    "cumulative": ("points given", "所投点数"),
    "scoring": ("scores given", "所给分数"),
}


def _describe_greedy(rule: str, pb: PabulibFile) -> dict[str, Any]:
    by_en, by_zh = _COUNTED[pb.vote_type]
    en = f"the file's own rule {rule}: projects by {by_en}"
    zh = f"文件规定的规则 {rule}：按{by_zh}排序"
    if rule == "greedy-no-skip":
        en, zh = en + ", stopping at the first that does not fit", zh + "，遇到第一个超出余额的项目即停止"
    elif rule == "greedy-threshold":
        t = pb.meta["min_project_score_threshold"]
        en, zh = en + f", only those scoring at least {t}", zh + f"，只考虑得分不低于 {t} 的项目"
    else:
        en, zh = en + ", skipping what no longer fits", zh + "，跳过放不下的项目"
    return {
        "name": f"official:{rule}",
        "params": {"rule": rule, "vote_type": pb.vote_type},
        "description_en": en,
        "description_zh": zh,
    }


def official(
    pb: PabulibFile,
    election: PabulibElection,
    overrides: dict[str, Any] | None = None,
    *,
    explain: bool = True,
) -> AllocationResult:
    """Recompute the file's official outcome; `overrides` replaces equal-shares parameters (refused for greedy).

    `explain=False` computes the outcome and the variant's description only (`explanations` is empty).
    """
    rule = file_rule(pb)
    overrides = dict(overrides or {})
    if rule in GREEDY_RULES:
        if overrides:
            name = next(iter(overrides))
            raise ParameterError(name, f"rule {rule} takes no parameter {name!r}")
        threshold = _threshold(pb) if rule == "greedy-threshold" else None
        counted = scores(pb), supporters(pb)
        result = score_greedy(election.instance, *counted, rule, threshold, len(pb.votes), explain=explain)
        return replace(result, rule=f"official:{rule}", variant=_describe_greedy(rule, pb))
    ballots = approvals(pb, rule)
    params = EqualSharesParams(**merged_params(rule, overrides))
    result = equalshares(election.instance, ballots, params, election.money_scale, explain=explain)
    variant = dict(result.variant or {})
    variant["description_en"] = f"the file's own rule {rule}: " + variant["description_en"]
    variant["description_zh"] = f"文件规定的规则 {rule}：" + variant["description_zh"]
    return replace(result, rule=f"official:{rule}", variant=variant)


__all__ = ["OFFICIAL_RULES", "UnreadableBallots", "UnsupportedRule", "file_rule", "merged_params", "official"]
