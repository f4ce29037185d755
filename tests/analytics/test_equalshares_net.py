"""equalshares.net's equal shares: our exact, grouped implementation against a plain per-voter transcription."""

import random
from fractions import Fraction

import pytest

from app.analytics.allocation_model import Instance, Project
from app.analytics.equalshares_net import equalshares, tool_order
from app.analytics.equalshares_params import COMPARISONS, COMPLETIONS, EqualSharesParams


def reference_mes(voters, ids, cost, approvers, total, tie_key):
    """The tool's equalSharesFixedBudget with exact fractions, voter by voter."""
    budget = {i: Fraction(total) / len(voters) for i in voters}
    remaining = [c for c in ids if cost[c] > 0 and approvers[c]]
    winners = []
    while True:
        best, best_count = [], Fraction(0)
        for c in list(remaining):
            if sum(budget[i] for i in approvers[c]) < cost[c]:
                remaining.remove(c)
                continue
            paid, left = Fraction(0), len(approvers[c])
            for i in sorted(approvers[c], key=lambda v: budget[v]):
                payment = (cost[c] - paid) / left
                if payment > budget[i]:
                    paid, left = paid + budget[i], left - 1
                    continue
                count = cost[c] / payment
                if count > best_count:
                    best, best_count = [c], count
                elif count == best_count:
                    best.append(c)
                break
        if not best:
            return winners
        chosen = min(best, key=tie_key)
        winners.append(chosen)
        price = cost[chosen] / best_count
        for i in approvers[chosen]:
            budget[i] = budget[i] - price if budget[i] > price else Fraction(0)
        remaining.remove(chosen)


def reference(voters, ids, cost, approvers, total, params, tie_key):
    """The tool's equalShares(): add1 loop, utilitarian completion, comparison step."""

    def spent(ws):
        return sum(cost[c] for c in ws)

    if params.add1 and sum(cost.values()) > total:
        per = Fraction(total, len(voters)) if not params.integral else Fraction(total // len(voters))
        start = per * len(voters)
        ws = reference_mes(voters, ids, cost, approvers, start, tie_key)
        budget = start
        buyable = [c for c in ids if cost[c] > 0 and approvers[c]]
        while len(ws) < len(buyable):
            if params.exhaustive and not any(c not in ws and spent(ws) + cost[c] <= total for c in ids):
                break
            nxt = reference_mes(voters, ids, cost, approvers, budget + len(voters) * params.increment, tie_key)
            if spent(nxt) > total:
                break
            budget, ws = budget + len(voters) * params.increment, nxt
    else:
        ws = reference_mes(voters, ids, cost, approvers, total, tie_key)

    def complete(start):
        out = list(start)
        order = sorted((ids[i] for i in tool_order(ids)), key=lambda c: -len(approvers[c]))
        for c in order:
            if c not in out and spent(out) + cost[c] <= total:
                out.append(c)
        return out

    if params.utilitarian:
        ws = complete(ws)
    if params.comparison != "none":
        greedy = complete([])

        def sat(outcome, i):
            hits = sum(1 for c in outcome if i in approvers[c])
            return min(hits, 1) if params.comparison == "exclusionRatio" else hits

        pro_mes = sum(sat(ws, i) > sat(greedy, i) for i in voters)
        pro_greedy = sum(sat(greedy, i) > sat(ws, i) for i in voters)
        if pro_greedy > pro_mes:
            ws = greedy
    return ws


def random_election(rng):
    m = rng.randint(3, 7)
    ids = [str(x) for x in rng.sample([1, 2, 3, 10, 11, 12, 20, 100], m)]
    cost = {c: rng.choice([0, 1, 2, 3, 5, 8, 13]) * 10 for c in ids}
    voters = list(range(rng.randint(1, 9)))
    approvers = {c: [] for c in ids}
    for i in voters:
        for c in rng.sample(ids, rng.randint(0, m)):
            approvers[c].append(i)
    total = rng.randint(10, 120)
    return voters, ids, cost, approvers, total


@pytest.mark.parametrize("seed", range(40))
def test_matches_the_tools_computation(seed):
    rng = random.Random(seed)
    voters, ids, cost, approvers, total = random_election(rng)
    instance = Instance(total, tuple(Project(c, cost[c], k) for k, c in enumerate(ids)))
    ballots = [frozenset(c for c in ids if i in approvers[c]) for i in voters]
    priority = tuple(rng.sample(ids, len(ids)))
    for completion in COMPLETIONS:
        for comparison in COMPARISONS:
            params = EqualSharesParams(
                completion=completion,
                comparison=comparison,
                integral=completion.startswith("add1") and seed % 2 == 0,
                tie_breaking=("maxVotes", "minCost", priority),
            )

            def tie_key(c):
                return (-len(approvers[c]), cost[c], priority.index(c))

            expected = reference(voters, ids, cost, approvers, total, params, tie_key)
            got = equalshares(instance, ballots, params)
            assert list(got.selected) == expected, (completion, comparison)
            assert got.variant["name"] == params.name()


def test_tool_order_puts_index_like_ids_first_in_numeric_order():
    assert [["b", "10", "2", "02", "a", "0"][i] for i in tool_order(["b", "10", "2", "02", "a", "0"])] == [
        "0",
        "2",
        "10",
        "b",
        "02",
        "a",
    ]


def _one_raise_at_a_time(prep, params, step):
    """The add1 loop without leaps: equal shares rerun for every raise."""
    from app.analytics.equal_shares import equal_shares
    from app.analytics.equalshares_net import _exhaustive, _saturated

    n, budget = prep.profile.n_voters, prep.instance.budget
    share = Fraction(budget, n) if not params.integral else Fraction(budget // n)
    run, raises = equal_shares(prep.profile, share, prep.rank, prep.conflicts), 0
    while not _saturated(run, prep):
        if params.exhaustive and _exhaustive(run, prep, budget):
            break
        nxt = equal_shares(prep.profile, share + step, prep.rank, prep.conflicts)
        if nxt.cost > budget:
            break
        run, share, raises = nxt, share + step, raises + 1
    return run.selected, share, raises


@pytest.mark.parametrize("seed", range(8))
def test_leaps_over_raises_give_what_single_raises_give(seed):
    """Many raises (costs in the hundreds, few voters): the leaps must land where single raises do."""
    from app.analytics.allocation import mes_add1
    from app.analytics.allocation_model import LEXICO, Ballot
    from app.analytics.equalshares_net import _add1, _prepared

    rng = random.Random(1000 + seed)
    m = rng.randint(4, 9)
    projects = tuple(Project(str(k), rng.randint(1, 60) * 10, k) for k in range(m))
    ballots = [
        Ballot(frozenset(str(k) for k in rng.sample(range(m), rng.randint(1, m))), rng.randint(1, 4))
        for _ in range(rng.randint(3, 12))
    ]
    instance = Instance(rng.randint(100, sum(p.cost for p in projects)), projects)
    priority = tuple(rng.sample([p.id for p in projects], m))
    for completion in ("add1", "add1e"):
        params = EqualSharesParams(
            completion=completion, integral=seed % 2 == 0, tie_breaking=("maxVotes", "minCost", priority)
        )
        prep = _prepared(instance, ballots, params)
        run, share, raises = _add1(prep, params, 1)
        assert (run.selected, share, raises) == _one_raise_at_a_time(prep, params, 1)
    # pabutools' variant: the same leaps inside its own loop, against its loop rerun for every raise.
    from app.analytics.allocation import _prepare
    from app.analytics.equal_shares import equal_shares, is_exhaustive

    prep = _prepare(instance, ballots, LEXICO, ())
    share, previous = Fraction(instance.budget, prep.profile.n_voters), None
    while True:
        run = equal_shares(prep.profile, share, prep.rank, prep.conflicts)
        if run.cost > instance.budget and previous is not None:
            run, share = previous
            break
        if is_exhaustive(run, prep.profile, instance.budget, prep.conflicts):
            break
        previous, share = (run, share), share + 1
    got = mes_add1(instance, ballots, LEXICO)
    assert got.voter_budget == share and got.selected[: len(run.selected)] == tuple(prep.ids(run.selected))


def test_float_arithmetic_is_named_and_agrees_with_exact_on_a_real_file():
    from pathlib import Path

    from app.analytics.ballot_scores import approvals
    from app.analytics.pabulib import decode, parse, to_election

    shared = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
    for name, completion, increment in (
        ("Poland_Warszawa_2019_Sluzewiec", "utilitarian", 1),
        ("Netherlands_Assen_2024", "add1e", 25),
    ):
        pb = parse(decode((shared / f"{name}.pb").read_bytes()))
        election = to_election(pb)
        ballots = approvals(pb, "equalshares")
        exact = equalshares(
            election.instance,
            ballots,
            EqualSharesParams(completion=completion, increment=increment),
            election.money_scale,
        )
        floats = equalshares(
            election.instance,
            ballots,
            EqualSharesParams(completion=completion, increment=increment, accuracy="float"),
            election.money_scale,
        )
        assert floats.selected == exact.selected and floats.variant["voter_budget"] == exact.variant["voter_budget"]
        assert "floating-point" in floats.variant["description_en"] and "浮点计算" in floats.variant["description_zh"]
        assert floats.variant["name"].endswith(",float,tie=maxVotes>minCost)")
        assert "exact arithmetic" in exact.variant["description_en"]
    with pytest.raises(ValueError, match="unknown accuracy 'double'"):
        EqualSharesParams(accuracy="double")
