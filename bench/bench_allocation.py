"""Benchmark: our "mes-add1" against pabutools on 100,000 approval voters and 100 projects.

Run: .venv/bin/python bench/bench_allocation.py [--voters N] [--projects M] [--seed S] [--skip-plain-mes] [--quick]
     .venv/bin/python bench/bench_allocation.py --voters 150000 --write-pb /tmp/es2_150k.pb  (the instance as a
     pabulib file for bench_pabulib.py, META rule equalshares/add1; nothing is timed)
Both implementations run on the same seeded instance in the same process; the winners must be
identical and the speed-up target is at least 10x. pabutools (a dev dependency) gets the profile
the way its pabulib reader builds it: one ApprovalBallot per voter. --quick (CI): 5,000 voters and 10
projects, the winners compared all the same, no speed-up verdict.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling module result.py

from result import emit

from app.analytics.allocation import Instance, Project, allocate
from app.analytics.pabulib import PabulibFile, dump

TARGET = 10.0


def make_instance(seed: int, n_voters: int, n_projects: int) -> tuple[Instance, list[frozenset[str]]]:
    """A realistic, seeded election: skewed popularity, 1-10 approvals per voter, budget ~30% of costs."""
    rng = np.random.default_rng(seed)
    costs = rng.integers(5_000, 300_001, size=n_projects)
    budget = int(costs.sum() * 3 // 10)
    ids = [f"p{j:03d}" for j in range(n_projects)]
    projects = tuple(Project(id=ids[j], cost=int(costs[j]), order=j) for j in range(n_projects))
    # Zipf-like popularity over a shuffled project order; Gumbel top-k draws each ballot without
    # replacement proportionally to popularity, vectorised over all voters at once.
    popularity = 1.0 / np.arange(1, n_projects + 1) ** 0.9
    rng.shuffle(popularity)
    sizes = rng.integers(1, min(10, n_projects) + 1, size=n_voters)
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(n_voters, n_projects))
    ranked = np.argsort(-keys, axis=1)
    ballots = [frozenset(ids[j] for j in ranked[i, : sizes[i]]) for i in range(n_voters)]
    return Instance(budget=budget, projects=projects), ballots


def as_pabulib(instance: Instance, ballots: list[frozenset[str]], seed: int) -> str:
    """The instance as pabulib text (approval ballots, projects in order, voters numbered from 1)."""
    meta = {
        "description": f"bench_allocation synthetic election, seed {seed}",
        "num_projects": str(len(instance.projects)),
        "num_votes": str(len(ballots)),
        "budget": str(instance.budget),
        "vote_type": "approval",
        "rule": "equalshares/add1",
    }
    projects = tuple({"project_id": p.id, "cost": str(p.cost)} for p in instance.projects)
    votes = tuple({"voter_id": str(i), "vote": ",".join(sorted(b))} for i, b in enumerate(ballots, 1))
    return dump(PabulibFile(meta, ("project_id", "cost"), projects, ("voter_id", "vote"), votes))


def pabutools_rules(instance: Instance, ballots: list[frozenset[str]]):
    """The pabutools election and the two rules to compare, built outside the timed section."""
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat
    from pabutools.election import Instance as PInstance
    from pabutools.election import Project as PProject
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    projects = {p.id: PProject(p.id, p.cost) for p in instance.projects}
    p_instance = PInstance(projects.values(), budget_limit=instance.budget)
    profile = ApprovalProfile([ApprovalBallot(projects[x] for x in b) for b in ballots], instance=p_instance)

    def mes_add1():
        return completion_by_rule_combination(
            p_instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
        )

    def mes():
        return method_of_equal_shares(p_instance, profile, sat_class=Cost_Sat)

    return mes, mes_add1


def timed(label: str, func):
    """Run func once, print and return (result, seconds)."""
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"  {label:<28} {seconds:9.3f} s", flush=True)
    return result, seconds


def compare(rule: str, ours_func, theirs_func, problems: list[str]) -> float:
    """Time both sides of one rule, note differing winners in problems, return the speed-up."""
    print(f"{rule}:", flush=True)
    ours, t_ours = timed("weishi (app.analytics)", ours_func)
    theirs, t_theirs = timed("pabutools", theirs_func)
    theirs_ids = tuple(p.name for p in theirs)
    if ours.selected != theirs_ids:
        problems.append(f"{rule}: winners differ: ours {ours.selected}, pabutools {theirs_ids}")
    ratio = t_theirs / t_ours
    print(f"  identical winners: {len(ours.selected)} projects, cost {ours.cost} of {ours.budget}")
    print(f"  speed-up: {ratio:.1f}x", flush=True)
    return ratio


def main() -> int:
    """Entry point; exit status 1 when the mes-add1 speed-up misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--skip-plain-mes", action="store_true", help="only time mes-add1")
    parser.add_argument("--quick", action="store_true", help="CI: 5,000 voters, 10 projects, no speed-up verdict")
    parser.add_argument("--write-pb", type=Path, help="write the instance to this .pb file and stop")
    args = parser.parse_args()
    if args.quick:
        args.voters, args.projects = 5_000, 10

    instance, ballots = make_instance(args.seed, args.voters, args.projects)
    if args.write_pb:
        args.write_pb.write_text(as_pabulib(instance, ballots, args.seed), encoding="utf-8")
        print(f"wrote {args.write_pb}: {args.voters} voters, {args.projects} projects, seed {args.seed}")
        return 0
    print(
        f"instance: {args.voters} voters ({len(set(ballots))} distinct ballots), {args.projects} projects, "
        f"budget {instance.budget} (share per voter {instance.budget / args.voters:.2f}), seed {args.seed}"
    )
    pabu_mes, pabu_add1 = pabutools_rules(instance, ballots)
    problems: list[str] = []
    figures = {}
    if not args.skip_plain_mes:
        mes_ratio = compare(
            "mes (one run of equal shares)", lambda: allocate(instance, ballots, "mes", "lexico"), pabu_mes, problems
        )
        figures["mes speed-up"] = f"{mes_ratio:.1f}x"
    ratio = compare("mes-add1", lambda: allocate(instance, ballots, "mes-add1", "lexico"), pabu_add1, problems)
    figures["mes-add1 speed-up"] = f"{ratio:.1f}x"
    met = None if args.quick else ratio >= TARGET
    verdict = {None: "not judged (--quick)", True: "meets", False: "MISSES"}[met]
    print(f"mes-add1 speed-up {ratio:.1f}x {verdict} the {TARGET:.0f}x target")
    for problem in problems:
        print(f"VERIFY FAILED: {problem}")
    return emit(
        "bench_allocation",
        figures,
        f"{args.voters:,} voters, {args.projects} projects: mes-add1 at least "
        f"{TARGET:.0f}x faster than pabutools, identical winners",
        met,
        problems,
    )


if __name__ == "__main__":
    raise SystemExit(main())
