"""Awards from ranked projects (pure): 优秀项目, 示范社区, 社区工作法, and 以奖代补 money within the fund.

`compute` returns plain JSON-ready data; `canonical` turns it (or the inputs) into the bytes whose
SHA-256 a run records, so anyone can check that the same inputs give the same list.
"""

import hashlib
import json
import math
from collections.abc import Set as AbstractSet
from typing import Any

import pandas as pd

from app.analytics.award_model import GRADES, RULE_VERSION, AwardRules, ScoringRules
from app.analytics.evaluation_scores import project_scores, source_means

DEFAULT_EXCELLENT = 10
NOMINATION_COLUMNS = ["nomination_id", "community_id", "title", "evaluator", "total"]


def canonical(data: Any) -> bytes:
    """Sorted-key, compact JSON: equal data, equal bytes."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest(data: Any) -> str:
    """SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical(data)).hexdigest()


def _at_least(grade: str | None, floor: str) -> bool:
    return grade is not None and grade in GRADES and GRADES.index(grade) <= GRADES.index(floor)


SATISFIED_FROM = 4  # stars from which a rating counts as satisfied (as app.evaluation.rules)


def in_rectification(ratings: pd.DataFrame, rules: AwardRules) -> dict[str, float]:
    """Projects whose satisfied share is under the floor: project id → that share (%, one decimal)."""
    if rules.satisfaction_floor_pct is None or ratings.empty:
        return {}
    share = (
        ratings.assign(ok=ratings["rating"] >= SATISFIED_FROM).groupby("project_id", sort=True)["ok"].mean() * 100
    ).round(1)
    return {pid: float(pct) for pid, pct in share.items() if pct < rules.satisfaction_floor_pct}


def excellent_projects(ranked: pd.DataFrame, rules: AwardRules, barred: AbstractSet[str] = frozenset()) -> list[str]:
    """Project ids of 优秀项目: top N (or X%, rounded up) of those with at least the minimum grade and not in
    rectification (when rectification bars awards)."""
    eligible = ranked[
        [
            _at_least(g, rules.excellent_min_grade) and pid not in barred
            for pid, g in zip(ranked["project_id"], ranked["grade"], strict=True)
        ]
    ]
    if rules.excellent_top_pct is not None:
        n = math.ceil(len(eligible) * rules.excellent_top_pct / 100)
    else:
        n = rules.excellent_top_n or DEFAULT_EXCELLENT

    return list(eligible["project_id"].head(n))


def model_communities(
    scored: pd.DataFrame, ratings: pd.DataFrame, rules: AwardRules, barred: AbstractSet[str] = frozenset()
) -> list[dict[str, Any]]:
    """示范社区: communities ranked by their projects' mean composite and residents' satisfaction.

    A community with a project graded 不合格, or with a project in rectification (when that bars awards), is not
    a model. Ties go to more projects, then the id.
    """
    graded = scored[scored["composite"].notna()]
    if graded.empty:
        return []
    by_community = graded.groupby("community_id", sort=True).agg(
        projects=("project_id", "size"),
        mean_composite=("composite", "mean"),
        failing=("grade", lambda g: int((g == GRADES[3]).sum())),
    )
    rectifying = set(scored.loc[scored["project_id"].isin(barred), "community_id"])
    by_community.loc[by_community.index.isin(rectifying), "failing"] += 1
    rated = ratings.merge(scored[["project_id", "community_id"]], on="project_id")
    stars = rated.groupby("community_id", sort=True)["rating"].mean() * 20
    by_community["satisfaction"] = stars.reindex(by_community.index)
    sat = by_community["satisfaction"].fillna(by_community["mean_composite"])  # no ratings: projects alone count
    by_community["score"] = (
        by_community["mean_composite"] * float(rules.community_project_weight)
        + sat * float(rules.community_satisfaction_weight)
    ).round(2)
    eligible = (
        by_community[by_community["failing"] == 0]
        .reset_index()
        .sort_values(["score", "projects", "community_id"], ascending=[False, False, True], kind="mergesort")
    )
    top = eligible.head(rules.model_communities)
    return [
        {
            "community_id": row.community_id,
            "projects": int(row.projects),
            "mean_composite": round(float(row.mean_composite), 2),
            "satisfaction": None if pd.isna(row.satisfaction) else round(float(row.satisfaction), 2),
            "score": float(row.score),
            "rank": i,
        }
        for i, row in enumerate(top.itertuples(), start=1)
    ]


def work_methods(nominations: pd.DataFrame, scoring: ScoringRules, rules: AwardRules) -> list[dict[str, Any]]:
    """社区工作法: nominations ranked by the panel's (trimmed) mean; ties to the smaller nomination id."""
    if nominations.empty:
        return []
    as_scores = nominations.rename(columns={"nomination_id": "project_id"}).assign(source="expert")
    means = source_means(as_scores[["project_id", "source", "evaluator", "total"]], scoring)
    about = nominations.drop_duplicates("nomination_id").set_index("nomination_id")
    means = means.assign(score=means["mean"].round(2)).sort_values(
        ["score", "project_id"], ascending=[False, True], kind="mergesort"
    )
    return [
        {
            "nomination_id": row.project_id,
            "community_id": about.loc[row.project_id, "community_id"],
            "title": about.loc[row.project_id, "title"],
            "score": float(row.score),
            "panel": int(row.n),
            "rank": i,
        }
        for i, row in enumerate(means.head(rules.work_methods).itertuples(), start=1)
    ]


def subsidies(ranked: pd.DataFrame, rules: AwardRules) -> dict[str, Any]:
    """以奖代补 by grade; over the fund, every amount shrinks in proportion, floored to the fen, and the fen
    left over go one each by largest remainder, then rank: the sum never exceeds the fund."""
    wanted = [
        (pid, rules.subsidy_by_grade[g])
        for pid, g in zip(ranked["project_id"], ranked["grade"], strict=True)
        if g in rules.subsidy_by_grade
    ]
    total = sum(a for _, a in wanted)
    fund = rules.subsidy_fund_fen
    if total <= fund:
        amounts = dict(wanted)
    else:
        shares = [(pid, a * fund // total, a * fund % total) for pid, a in wanted]
        left = fund - sum(s for _, s, _ in shares)
        order = sorted(range(len(shares)), key=lambda i: (-shares[i][2], i))  # i is the rank order
        bonus = set(order[:left])
        amounts = {pid: s + (1 if i in bonus else 0) for i, (pid, s, _) in enumerate(shares)}
    return {
        "fund_fen": fund,
        "requested_fen": total,
        "awarded_fen": sum(amounts.values()),
        "scaled": total > fund,
        "amounts": amounts,
    }


def compute(
    scores: pd.DataFrame,
    ratings: pd.DataFrame,
    projects: pd.DataFrame,
    nominations: pd.DataFrame,
    scoring: ScoringRules,
    awards: AwardRules,
) -> dict[str, Any]:
    """Every project's scores, grade and rank, and the award lists; JSON-ready and deterministic."""
    scored = project_scores(scores, ratings, projects, scoring)
    ranked = scored[scored["rank"].notna()].sort_values("rank", kind="mergesort")
    rectifying = in_rectification(ratings, awards)
    barred = set(rectifying) if awards.rectification_bars_awards else set()
    excellent = set(excellent_projects(ranked, awards, barred))
    money = subsidies(ranked, awards)
    rows = []
    for row in scored.sort_values(["rank", "project_id"], na_position="last", kind="mergesort").to_dict("records"):
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        clean["rank"] = None if clean["rank"] is None else int(clean["rank"])
        clean["awards"] = ["优秀项目"] if row["project_id"] in excellent else []
        clean["subsidy_fen"] = money["amounts"].get(row["project_id"], 0)
        clean["rectification"] = row["project_id"] in rectifying
        clean["why"] = why(clean, rectifying, barred, awards)
        rows.append(clean)
    return {
        "rule_version": RULE_VERSION,
        "projects": rows,
        "excellent_projects": [r["project_id"] for r in rows if r["awards"]],
        "model_communities": model_communities(scored, ratings, awards, barred),
        "communities_barred": sorted(set(scored.loc[scored["project_id"].isin(barred), "community_id"])),
        "work_methods": work_methods(nominations, scoring, awards),
        "subsidies": {k: v for k, v in money.items() if k != "amounts"},
        "grade_counts": {g: int((scored["grade"] == g).sum()) for g in GRADES},
    }


def why(row: dict[str, Any], rectifying: dict[str, float], barred: set[str], rules: AwardRules) -> str:
    """Why a project is or is not 优秀项目, in one sentence for the report and the notice."""
    pid = row["project_id"]
    if row["grade"] is None:
        return "无评分，不参加评奖"
    floor = ""
    if pid in rectifying:
        floor = f"满意度 {rectifying[pid]:.1f}% 低于 {rules.satisfaction_floor_pct}% 底线，须整改"
    also = f"；{floor}" if floor else ""
    if row["awards"]:
        spared = f"（{floor}，按本计划规则不影响评奖）" if floor else ""
        return f"排名第 {row['rank']} 名，等级{row['grade']}，评为优秀项目{spared}"
    if pid in barred:
        return f"{floor}，当年不评优秀项目，所在社区不评示范社区"
    if not _at_least(row["grade"], rules.excellent_min_grade):
        return f"等级{row['grade']}，低于优秀项目的最低等级{rules.excellent_min_grade}{also}"
    return f"排名第 {row['rank']} 名，未进入优秀项目名额{also}"
