"""Equal shares as the equalshares.net tool computes it (cost utilities), exactly.

Differences from the pabutools-compatible `mes-add1` of app.analytics.allocation, all taken from
the tool's own computation: add1 keeps raising the voters' budget until the next outcome would cost
more than the real budget (or, with "e", until an outcome is exhaustive) and only then, with "u",
completes greedily; the greedy completion goes by approval count, equal counts in the tool's project
order; ties are broken by an explicit list of criteria and an unsettled tie is an error, never a
guess. One guard the tool lacks: add1 stops once every supported project is funded, since raising
the budget further changes nothing (the tool would loop forever there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from app.analytics import allocation_text as text
from app.analytics.allocation import (
    BallotLike,
    _explain,
    _greedy_fill,
    _grouped,
    _mes_reason,
    _Prepared,
    _result,
    _skip_reason,
)
from app.analytics.allocation_model import AllocationResult, Instance, Project, ProjectExplanation, TieBreak
from app.analytics.equal_shares import Leaper, MesRun, Step, UnresolvedTie, equal_shares, same_between
from app.analytics.equal_shares_float import TOLERANCE, equal_shares_float
from app.analytics.equalshares_params import EqualSharesParams, ParameterError


class TieError(ValueError):
    """A tie the chosen tie-breaking cannot settle; `projects` names the tied project ids."""

    def __init__(self, projects: Sequence[str]) -> None:
        ids = ", ".join(projects)
        super().__init__(
            f"tie between projects {ids} that the tie-breaking does not settle; add a criterion or a priority list"
        )
        self.projects = tuple(projects)


def _tie_key(params: EqualSharesParams, ids: Sequence[str]) -> TieBreak:
    known = set(ids)
    for item in params.tie_breaking:
        if not isinstance(item, str):
            unknown = [pid for pid in item if pid not in known]
            if unknown:
                raise ParameterError("tie_breaking", f"priority list names unknown project {unknown[0]!r}")

    def key(project: Project, votes: int) -> tuple[Any, ...]:
        out: list[object] = []
        for item in params.tie_breaking:
            if item == "maxVotes":
                out.append(-votes)
            elif item == "minCost":
                out.append(project.cost)
            elif item == "maxCost":
                out.append(-project.cost)
            else:
                out.append(item.index(project.id) if project.id in item else len(item))
        return tuple(out)

    return TieBreak(params.name(), key)


def tool_order(ids: Sequence[str]) -> list[int]:
    """The order of a JavaScript object's keys: array-index-like ids ascending by value, then the rest as given."""

    def is_index(s: str) -> bool:
        return s.isascii() and s.isdigit() and (s == "0" or s[0] != "0") and int(s) < 2**32 - 1

    numeric = sorted((i for i, s in enumerate(ids) if is_index(s)), key=lambda i: int(ids[i]))
    return numeric + [i for i, s in enumerate(ids) if not is_index(s)]


def _prepared(
    instance: Instance, ballots: Sequence[BallotLike], params: EqualSharesParams, groups: Iterable[Iterable[str]] = ()
) -> _Prepared:
    ids = [p.id for p in instance.projects]
    tie = _tie_key(params, ids)
    profile, conflicts = _grouped(instance, ballots, groups)
    votes = profile.support
    keys = [tie.key(p, votes[i]) for i, p in enumerate(instance.projects)]
    dense = {k: r for r, k in enumerate(sorted(set(keys)))}
    position = {i: n for n, i in enumerate(tool_order(ids))}
    # The tool's greedy: by approvals, equal approvals in the order of its project keys.
    order = sorted(range(len(ids)), key=lambda i: (-votes[i], position[i]))
    return _Prepared(instance, tie, profile, conflicts, tuple(dense[k] for k in keys), tuple(order))


def _run(prep: _Prepared, share: Fraction, trace: list[Step] | None = None, accuracy: str = "exact") -> MesRun:
    try:
        if accuracy == "float":
            return equal_shares_float(prep.profile, float(share), prep.rank, prep.conflicts)
        return equal_shares(prep.profile, share, prep.rank, prep.conflicts, trace)
    except UnresolvedTie as exc:
        raise TieError(prep.ids(sorted(exc.projects))) from None


def _blocked(run: MesRun, prep: _Prepared) -> set[int]:
    """The selected projects and those an incompatible group rules out (the tool has no groups: just the former)."""
    out = set(run.selected)
    for p in run.selected:
        out |= prep.conflicts[p]
    return out


def _exhaustive(run: MesRun, prep: _Prepared, budget: int) -> bool:
    taken = _blocked(run, prep)
    return not any(p not in taken and run.cost + c <= budget for p, c in enumerate(prep.profile.costs))


def _saturated(run: MesRun, prep: _Prepared) -> bool:
    """Every supported, positive-cost project is funded or ruled out: a larger budget changes nothing."""
    taken = _blocked(run, prep)
    return all(p in taken for p, c in enumerate(prep.profile.costs) if c > 0 and prep.votes[p] > 0)


def _add1(prep: _Prepared, params: EqualSharesParams, money_scale: int) -> tuple[MesRun, Fraction, int]:
    """(outcome, final share per voter, number of raises) of the add1 loop.

    A run of raises that certainly selects the same projects passes the loop's tests exactly as its
    first run does, so it is taken in one leap (`equal_shares.Leaper`); single raises remain where the
    selection changes or cannot be certified.
    """
    n, budget = prep.profile.n_voters, prep.instance.budget
    share = Fraction(budget, n)
    if params.integral:
        share = Fraction((budget // (n * money_scale)) * money_scale)
    step = params.increment * money_scale
    if params.accuracy == "float":
        return _add1_float(prep, params, share, step)
    trace: list[Step] = []
    run, raises = _run(prep, share, trace), 0
    leaper = Leaper(prep.profile, prep.rank, prep.conflicts, step)
    while not _saturated(run, prep):
        if params.exhaustive and _exhaustive(run, prep, budget):
            break
        leapt, there, trace = leaper.farthest(share, trace)
        if there is not None:
            run, share, raises = there, share + leapt * step, raises + leapt
        after: list[Step] = []
        nxt = _run(prep, share + step, after)
        if nxt.cost > budget:
            break
        leaper.stepped(same_between(trace, after, prep.profile.costs, prep.rank))
        run, share, raises, trace = nxt, share + step, raises + 1, after
    return run, share, raises


def _add1_float(
    prep: _Prepared,
    params: EqualSharesParams,
    share: Fraction,
    step: int,
) -> tuple[MesRun, Fraction, int]:
    """The add1 loop in floats, one raise at a time (leaps need the exact arithmetic's certificate)."""
    budget = prep.instance.budget
    run, raises = _run(prep, share, accuracy="float"), 0
    while not _saturated(run, prep):
        if params.exhaustive and _exhaustive(run, prep, budget):
            break
        nxt = _run(prep, share + step, accuracy="float")
        if nxt.cost > budget:
            break
        run, share, raises = nxt, share + step, raises + 1
    return run, share, raises


def _satisfaction(prep: _Prepared, funded: Iterable[int], exclusion: bool) -> list[tuple[int, int]]:
    """(satisfaction, weight) per distinct non-empty ballot: funded projects approved, or 0/1 for exclusion."""
    chosen = set(funded)
    prof = prep.profile
    out = []
    for g in range(len(prof.weights)):
        hits = sum(1 for p in prof.items[prof.indptr[g] : prof.indptr[g + 1]].tolist() if p in chosen)
        out.append((min(hits, 1) if exclusion else hits, int(prof.weights[g])))
    return out


def _compare(prep: _Prepared, mes: list[int], greedy: list[int], how: str) -> tuple[int, int]:
    """(voters preferring the equal-shares outcome, voters preferring greedy)."""
    exclusion = how == "exclusionRatio"
    pro_mes = pro_greedy = 0
    pairs = zip(_satisfaction(prep, mes, exclusion), _satisfaction(prep, greedy, exclusion), strict=True)
    for (a, w), (b, _) in pairs:
        pro_mes += w * (a > b)
        pro_greedy += w * (b > a)
    return pro_mes, pro_greedy


def _describe(
    params: EqualSharesParams,
    share: Fraction,
    raises: int,
    comparison: dict[str, Any] | None,
) -> dict[str, Any]:
    if params.accuracy == "float":
        en = (
            f"Method of Equal Shares as computed by equalshares.net, variant {params.name()}, floating-point "
            f"arithmetic (prices within a relative {TOLERANCE:g} count as equal)"
        )
        zh = (
            f"均等份额法（equalshares.net 的算法），变体 {params.name()}，浮点计算"
            f"（相对差小于 {TOLERANCE:g} 的价格视为相等）"
        )
    else:
        en = f"Method of Equal Shares as computed by equalshares.net, variant {params.name()}, exact arithmetic"
        zh = f"均等份额法（equalshares.net 的算法），变体 {params.name()}，精确计算"
    if params.add1:
        en += f"; each voter's budget was raised {raises} times by {params.increment} currency unit(s)"
        zh += f"；每位投票人的预算提高了 {raises} 次，每次 {params.increment} 个货币单位"
    if comparison is not None:
        en += (
            f"; compared with greedy: {comparison['prefer_equal_shares']} voters prefer equal shares, "
            f"{comparison['prefer_greedy']} prefer greedy, so the {comparison['chosen']} outcome stands"
        )
        chosen_zh = "均等份额法" if comparison["chosen"] == "equal shares" else "按票数贪心"
        zh += (
            f"；与按票数贪心结果比较：{comparison['prefer_equal_shares']} 人更喜欢均等份额法结果，"
            f"{comparison['prefer_greedy']} 人更喜欢贪心结果，采用{chosen_zh}结果"
        )
    return {
        "name": params.name(),
        "params": params.to_dict(),
        "voter_budget": f"{share.numerator}/{share.denominator}",
        "comparison": comparison,
        "description_en": en,
        "description_zh": zh,
    }


def _explanations(
    prep: _Prepared, run: MesRun, share: Fraction, funded: list[int], completed: bool
) -> list[ProjectExplanation]:
    fill = _greedy_fill(prep, run.selected)
    out = []
    for p in range(len(prep.instance.projects)):
        code, reason, extra = _mes_reason(prep, run, p, share)
        if p in funded and p not in run.selected:
            completion = text.funded_greedy(prep.votes[p], prep.profile.costs[p], fill.left_before[p], "completion")
            code, reason = "funded_greedy", text.join(reason, completion)
            extra = {"money_left": Fraction(fill.left_before[p])}
        elif completed and p not in funded and p in fill.skipped:
            skip_code, skip_reason, skip_extra = _skip_reason(prep, p, fill)
            code, reason, extra = skip_code, text.join(reason, skip_reason), {**extra, **skip_extra}
        out.append(_explain(prep, p, funded, code, reason, **extra))
    return out


def _greedy_explanations(prep: _Prepared, funded: list[int]) -> list[ProjectExplanation]:
    fill = _greedy_fill(prep, [])
    out = []
    for p in range(len(prep.instance.projects)):
        if p in fill.left_before:
            reason = text.funded_greedy(prep.votes[p], prep.profile.costs[p], fill.left_before[p], "greedy")
            out.append(_explain(prep, p, funded, "funded_greedy", reason, money_left=Fraction(fill.left_before[p])))
        else:
            code, reason, extra = _skip_reason(prep, p, fill)
            out.append(_explain(prep, p, funded, code, reason, **extra))
    return out


def equalshares(
    instance: Instance,
    ballots: Sequence[BallotLike],
    params: EqualSharesParams,
    money_scale: int = 1,
    incompatible_groups: Iterable[Iterable[str]] = (),
    *,
    explain: bool = True,
) -> AllocationResult:
    """Run one equalshares.net variant; money is whole units, `money_scale` units to the currency unit.

    `incompatible_groups` (ours, not the tool's): at most one project of a group is funded.
    `explain=False` computes the outcome and the variant's description only (`explanations` is empty).
    """
    prep = _prepared(instance, ballots, params, incompatible_groups)
    n, budget = prep.profile.n_voters, instance.budget
    raises = 0
    if n == 0:
        run, share = MesRun(), Fraction(0)
    elif params.add1 and sum(prep.profile.costs) > budget:
        run, share, raises = _add1(prep, params, money_scale)
    else:
        # The tool skips add1 when everything is affordable: plain equal shares then funds all it can.
        share = Fraction(budget, n)
        run = _run(prep, share, accuracy=params.accuracy)
    funded = list(run.selected)
    if params.utilitarian:
        funded = _greedy_fill(prep, funded).funded
    comparison = None
    if params.comparison != "none":
        greedy = _greedy_fill(prep, []).funded
        pro_mes, pro_greedy = _compare(prep, funded, greedy, params.comparison)
        chosen = "greedy" if pro_greedy > pro_mes else "equal shares"
        comparison = {
            "by": params.comparison,
            "prefer_equal_shares": pro_mes,
            "prefer_greedy": pro_greedy,
            "chosen": chosen,
        }
        if chosen == "greedy":
            explained = _greedy_explanations(prep, greedy) if explain else []
            return _result(prep, params.name(), greedy, explained, share, _describe(params, share, raises, comparison))
    explained = _explanations(prep, run, share, funded, params.utilitarian) if explain else []
    return _result(prep, params.name(), funded, explained, share, _describe(params, share, raises, comparison))
