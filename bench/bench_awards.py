"""Benchmark: 100,000 evaluator scores and 200,000 satisfaction ratings to a district's awards.

Run: .venv/bin/python bench/bench_awards.py [--runs N] [--normalise] [--quick]

Pure analytics (app.analytics.awards.compute), in memory: 2,000 projects in 600 communities, each
scored by 40 experts and 10 third-party assessors (100,000 rows), rated by 100 residents (200,000
ratings), 300 work-method nominations; trimmed means, composite, grade, rank, awards, and the
canonical bytes a run stores. Target: under 2 s. It prints the median and the worst of N runs and
the digest, which must be the same every run, and checks the awards: one rank per project, the excellent
grade for the top 10%, subsidies within their fund. --quick (CI): 200 projects, 2 runs, no time verdict.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling module result.py

from result import emit

from app.analytics.award_model import AwardRules, ScoringRules
from app.analytics.awards import canonical, compute, digest

PROJECTS, COMMUNITIES, EXPERTS, ASSESSORS, RATERS, NOMINATIONS = 2_000, 600, 40, 10, 100, 300
TARGET_S = 2.0


def data(seed: int = 20261123, projects_n: int = PROJECTS) -> tuple[pd.DataFrame, ...]:
    """Scores around each project's quality with lenient and severe evaluators; ratings to match."""
    PROJECTS = projects_n  # the module's figure, smaller in --quick
    rng = np.random.default_rng(seed)
    ids = [f"p{i:05d}" for i in range(PROJECTS)]
    quality = rng.normal(80, 8, PROJECTS)
    projects = pd.DataFrame(
        {
            "project_id": ids,
            "community_id": [f"c{i % COMMUNITIES:03d}" for i in range(PROJECTS)],
            "street_id": [f"s{i % 30:02d}" for i in range(PROJECTS)],
            "title": [f"项目{i}" for i in range(PROJECTS)],
        }
    )
    per = EXPERTS + ASSESSORS
    evaluators = np.array([f"x{i:02d}" for i in range(EXPERTS)] + [f"t{i:02d}" for i in range(ASSESSORS)])
    bias = rng.normal(0, 4, per)
    totals = np.clip(np.repeat(quality, per) + np.tile(bias, PROJECTS) + rng.normal(0, 5, PROJECTS * per), 0, 100)
    scores = pd.DataFrame(
        {
            "project_id": np.repeat(ids, per),
            "evaluator": np.tile(evaluators, PROJECTS),
            "source": np.tile(["expert"] * EXPERTS + ["third_party"] * ASSESSORS, PROJECTS),
            "total": totals.round().astype(int),
        }
    )
    stars = np.clip(np.rint(np.repeat(quality, RATERS) / 20 + rng.normal(0, 0.8, PROJECTS * RATERS)), 1, 5)
    ratings = pd.DataFrame({"project_id": np.repeat(ids, RATERS), "rating": stars.astype(int)})
    nominations = pd.DataFrame(
        {
            "nomination_id": np.repeat([f"n{i:03d}" for i in range(NOMINATIONS)], 7),
            "community_id": np.repeat([f"c{i:03d}" for i in range(NOMINATIONS)], 7),
            "title": np.repeat([f"工作法{i}" for i in range(NOMINATIONS)], 7),
            "evaluator": np.tile([f"x{i:02d}" for i in range(7)], NOMINATIONS),
            "total": rng.integers(60, 100, NOMINATIONS * 7),
        }
    )
    return scores, ratings, projects, nominations


def check(result: dict, n_projects: int) -> list[str]:
    """What the awards must hold whatever the data: every project once, ranks 1..k without gaps, the excellent
    ones the best ranked and no more than the top 10% (rounded up), subsidies adding up within their fund."""
    problems = []
    rows = result["projects"]
    ranks = [r["rank"] for r in rows if r["rank"] is not None]
    if len(rows) != n_projects or len({r["project_id"] for r in rows}) != n_projects:
        problems.append(f"{len(rows)} project rows for {n_projects} projects")
    if ranks != list(range(1, len(ranks) + 1)):
        problems.append("ranks are not 1..k in order")
    excellent = result["excellent_projects"]
    if excellent != [r["project_id"] for r in rows[: len(excellent)]] or len(excellent) > -(-n_projects // 10):
        problems.append(f"{len(excellent)} excellent projects are not the best ranked within the top 10%")
    money = result["subsidies"]
    given = sum(r["subsidy_fen"] for r in rows)
    if given != money["awarded_fen"] or given > money["fund_fen"]:
        problems.append(f"subsidies {given:,} fen, awarded {money['awarded_fen']:,}, fund {money['fund_fen']:,}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--normalise", action="store_true", help="z-score each evaluator first")
    parser.add_argument("--quick", action="store_true", help="CI: 200 projects, 2 runs, no time verdict")
    args = parser.parse_args()
    if args.quick:
        args.runs = 2
    scores, ratings, projects, nominations = data(projects_n=200 if args.quick else PROJECTS)
    scoring = ScoringRules(
        weights={"resident": Decimal("0.3"), "expert": Decimal("0.5"), "third_party": Decimal("0.2")},
        normalise=args.normalise,
    )
    awards = AwardRules(
        excellent_top_pct=10, subsidy_by_grade={"优秀": 2_000_000, "良好": 1_000_000}, subsidy_fund_fen=300_000_000
    )
    print(
        f"inputs: {len(scores):,} scores, {len(ratings):,} ratings, {len(projects):,} projects, "
        f"{nominations['nomination_id'].nunique()} nominations; normalise={args.normalise}"
    )
    timings, digests = [], set()
    for _ in range(args.runs):
        started = time.perf_counter()
        result = compute(scores, ratings, projects, nominations, scoring, awards)
        body = canonical(result)
        timings.append(time.perf_counter() - started)
        digests.add(digest(result))
    median, worst = statistics.median(timings), max(timings)
    print(
        f"awards: median {median:.3f} s, worst {worst:.3f} s over {args.runs} runs ({len(body):,} bytes); "
        f"excellent {len(result['excellent_projects'])}, grades {result['grade_counts']}, "
        f"subsidies {result['subsidies']['awarded_fen']:,} of {result['subsidies']['fund_fen']:,} fen"
    )
    print(f"digest identical across runs: {len(digests) == 1} ({next(iter(digests))[:16]}…)")
    problems = [] if len(digests) == 1 else [f"{len(digests)} different digests over {args.runs} runs"]
    problems += check(result, len(projects))
    met = None if args.quick else worst < TARGET_S
    print(f"{ {None: 'not timed (--quick)', True: 'PASS', False: 'FAIL'}[met] }: target {TARGET_S} s")
    for problem in problems:
        print(f"VERIFY FAILED: {problem}")
    return emit(
        "bench_awards",
        {"median": f"{median:.3f} s", "worst": f"{worst:.3f} s", "runs": str(args.runs)},
        f"{len(scores):,} scores, {len(ratings):,} ratings, {len(projects):,} projects: worst run < {TARGET_S} s",
        met,
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
