"""Rules that read the whole file (its own rule, equal shares as equalshares.net runs it): pure, shared by CLI and API.

Every refusal is an AllocationRefused with a stable `code`, so the CLI prints it and the API answers
422 with it; none of them ever falls back to another rule or another counting.
"""

from __future__ import annotations

from typing import Any

from app.analytics.allocation_model import AllocationResult
from app.analytics.ballot_scores import UnreadableBallots, approvals
from app.analytics.equalshares_net import TieError, equalshares
from app.analytics.equalshares_params import (
    ACCURACIES,
    COMPARISONS,
    COMPLETIONS,
    EqualSharesParams,
    ParameterError,
    parse_tie_breaking,
)
from app.analytics.official import (
    EQUAL_SHARES_RULES,
    OFFICIAL_RULES,
    UnsupportedRule,
    file_rule,
    merged_params,
    official,
)
from app.analytics.pabulib import PabulibElection, PabulibFile

FILE_RULES = ("equalshares", "official")
# The ballots pabutools' variants (greedy, mes, mes-add1) and the audit read; any other is refused, never
# counted as approvals.
APPROVAL_VOTE_TYPES = ("approval", "choose-1")
OPTION_NAMES = ("completion", "integral", "comparison", "tie_breaking", "accuracy", "voter_budget_increment")


class AllocationRefused(ValueError):
    """A request the rules cannot honour as asked; `code` is stable, `message` (English) names the problem."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def detail_zh(self) -> str:
        """The problem in Chinese, for the API's detail."""
        x = self.extra
        if self.code == "pb_rule_unsupported":
            if not x.get("rule"):
                return "文件的 META 未写明计票规则，无法按官方规则重算。"
            return f"文件的计票规则 {x['rule']} 不在可重算之列（可重算：{'、'.join(OFFICIAL_RULES)}），或缺少其参数。"
        if self.code == "pb_ballots_unreadable":
            return f"所选规则无法按此文件的方式读取其 {x.get('vote_type')} 选票；不会把它们当作赞成票计算。"
        if self.code == "allocation_tie_unresolved":
            tied = "、".join(x.get("projects", []))
            return f"项目 {tied} 打平，所选的平局处理规则无法决定先后；请增加平局规则或优先顺序。"
        return f"参数 {x.get('parameter')} 无效，或所选规则不接受此参数。"


def _increment(value: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ParameterError(
            "voter_budget_increment",
            f"equal shares raises each voter's budget by a whole number of currency units (1, 2, ...), not {value!r}",
        )
    return int(text)


def _flag(value: str) -> bool:
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    if value.strip().lower() in ("false", "0", "no"):
        return False
    raise ParameterError("integral", f"integral is true or false, not {value!r}")


def overrides(rule: str, options: dict[str, str | None]) -> dict[str, Any]:
    """The equal-shares parameters given, checked; a parameter the rule does not take is refused."""
    given = {k: v for k, v in options.items() if v is not None and str(v).strip() != ""}
    unknown = [k for k in given if k not in OPTION_NAMES]
    if unknown:
        raise AllocationRefused("rule_parameter_invalid", f"unknown parameter {unknown[0]!r}", parameter=unknown[0])
    out: dict[str, Any] = {}
    try:
        for name, value in given.items():
            if name == "completion":
                out["completion"] = value
            elif name == "comparison":
                out["comparison"] = value
            elif name == "accuracy":
                out["accuracy"] = value
            elif name == "integral":
                out["integral"] = _flag(str(value))
            elif name == "tie_breaking":
                out["tie_breaking"] = parse_tie_breaking(str(value))
            else:
                out["increment"] = _increment(str(value))
        if rule == "equalshares":
            EqualSharesParams(**out)
    except ParameterError as exc:
        raise AllocationRefused("rule_parameter_invalid", str(exc), parameter=exc.name) from None
    return out


def check(pb: PabulibFile, rule: str, params: dict[str, Any]) -> None:
    """Refuse before any work: an uncovered file rule, unreadable ballots, parameters the rule does not take."""
    try:
        target = file_rule(pb) if rule == "official" else "equalshares"
        if target == "equalshares":
            approvals(pb, target)
            EqualSharesParams(**params)
        elif target in EQUAL_SHARES_RULES:
            approvals(pb, target)
            EqualSharesParams(**merged_params(target, params))
        elif params:
            name = next(iter(params))
            raise ParameterError(name, f"rule {target} takes no parameter {name!r}")
    except UnsupportedRule as exc:
        raise AllocationRefused("pb_rule_unsupported", str(exc), rule=pb.meta.get("rule")) from None
    except UnreadableBallots as exc:
        raise AllocationRefused("pb_ballots_unreadable", str(exc), vote_type=pb.vote_type) from None
    except ParameterError as exc:
        raise AllocationRefused("rule_parameter_invalid", str(exc), parameter=exc.name) from None


def run(pb: PabulibFile, election: PabulibElection, rule: str, params: dict[str, Any]) -> AllocationResult:
    """Run `equalshares` (with `params`) or the file's `official` rule."""
    check(pb, rule, params)
    try:
        if rule == "official":
            return official(pb, election, params)
        return equalshares(election.instance, approvals(pb, rule), EqualSharesParams(**params), election.money_scale)
    except TieError as exc:
        raise AllocationRefused("allocation_tie_unresolved", str(exc), projects=list(exc.projects)) from None
    except UnreadableBallots as exc:
        raise AllocationRefused("pb_ballots_unreadable", str(exc), vote_type=pb.vote_type) from None


__all__ = ["ACCURACIES", "COMPARISONS", "COMPLETIONS", "FILE_RULES", "AllocationRefused", "check", "overrides", "run"]
