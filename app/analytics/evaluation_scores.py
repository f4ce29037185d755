"""From scores and satisfaction ratings to each project's composite, grade and rank (pure pandas).

Inputs are plain frames; outputs depend only on their content, not on row order: every frame is
sorted on a full key first, so sums run in the same order and the same inputs give the same bytes.
"""

import numpy as np
import pandas as pd

from app.analytics.award_model import GRADES, SOURCES, ScoringRules

SCORE_COLUMNS = ["project_id", "source", "evaluator", "total"]
RATING_COLUMNS = ["project_id", "rating"]
PROJECT_COLUMNS = ["project_id", "community_id", "street_id", "title"]
POINTS_PER_STAR = 20  # satisfaction 1–5 in 100 points: 5 stars = 100


def normalised(scores: pd.DataFrame) -> pd.Series:
    """Each evaluator's totals as z-scores rescaled to their source's mean and spread, within 0–100.

    Corrects lenient and severe evaluators. An evaluator with a single score, or the same score
    everywhere, cannot be placed on the scale and is shifted to the source's mean instead.
    """
    by_source = scores.groupby("source")["total"]
    mu, sigma = by_source.transform("mean"), by_source.transform(lambda s: s.std(ddof=0))
    by_evaluator = scores.groupby(["source", "evaluator"])["total"]
    mean_e, std_e = by_evaluator.transform("mean"), by_evaluator.transform(lambda s: s.std(ddof=0))
    count_e = by_evaluator.transform("size")
    z = ((scores["total"] - mean_e) / std_e.where(std_e > 0)).fillna(0.0)
    rescaled = mu + sigma * z
    return rescaled.where(count_e > 1, scores["total"]).clip(0, 100)


def source_means(scores: pd.DataFrame, rules: ScoringRules) -> pd.DataFrame:
    """Per project and source: the (trimmed) mean of the evaluators' totals and how many there were."""
    if scores.empty:
        return pd.DataFrame(columns=["project_id", "source", "mean", "n"])
    frame = scores.sort_values(["project_id", "source", "evaluator"], kind="mergesort").reset_index(drop=True)
    values = normalised(frame) if rules.normalise else frame["total"].astype(float)
    grouped = frame.assign(v=values).groupby(["project_id", "source"], sort=True)["v"]
    stats = grouped.agg(["sum", "size", "max", "min"]).reset_index()
    trim = rules.trim_extremes & (stats["size"] >= rules.trim_min_scores)
    total = stats["sum"] - np.where(trim, stats["max"] + stats["min"], 0.0)
    count = stats["size"] - np.where(trim, 2, 0)
    return pd.DataFrame(
        {"project_id": stats["project_id"], "source": stats["source"], "mean": total / count, "n": stats["size"]}
    )


def satisfaction(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per project: residents' mean rating in 100 points, and how many rated."""
    if ratings.empty:
        return pd.DataFrame(columns=["project_id", "source", "mean", "n"])
    stats = ratings.groupby("project_id", sort=True)["rating"].agg(["sum", "size"]).reset_index()
    return pd.DataFrame(
        {
            "project_id": stats["project_id"],
            "source": "resident",
            "mean": stats["sum"] * POINTS_PER_STAR / stats["size"],
            "n": stats["size"],
        }
    )


def grade_of(composite: pd.Series, cutoffs: tuple[int, int, int]) -> pd.Series:
    """优秀 / 良好 / 合格 / 不合格 by the cut-offs; no grade without a composite."""
    excellent, good, passing = cutoffs
    labels = np.select([composite >= excellent, composite >= good, composite >= passing], GRADES[:3], GRADES[3])
    return pd.Series(labels, index=composite.index).where(composite.notna())


def project_scores(
    scores: pd.DataFrame, ratings: pd.DataFrame, projects: pd.DataFrame, rules: ScoringRules
) -> pd.DataFrame:
    """One row per project: each source's mean and count, composite, grade and rank.

    The composite weighs the sources present (weights renormalised over them); it is rounded to two
    decimals before grading and ranking. Ties in the composite go to the higher expert mean, then the
    higher satisfaction, then the smaller project id, so the ranking is total and repeatable.
    """
    means = pd.concat([source_means(scores[SCORE_COLUMNS], rules), satisfaction(ratings[RATING_COLUMNS])])
    wide = means.pivot(index="project_id", columns="source", values=["mean", "n"]) if not means.empty else None
    out = projects[PROJECT_COLUMNS].sort_values("project_id", kind="mergesort").set_index("project_id")
    weighted, weight_present = pd.Series(0.0, index=out.index), pd.Series(0.0, index=out.index)
    for source in SOURCES:
        mean = wide[("mean", source)] if wide is not None and ("mean", source) in wide else pd.Series(dtype=float)
        n = wide[("n", source)] if wide is not None and ("n", source) in wide else pd.Series(dtype=float)
        out[f"{source}_score"] = mean.reindex(out.index).astype(float).round(2)
        out[f"{source}_n"] = n.reindex(out.index).fillna(0).astype(int)
        weight = float(rules.weights.get(source, 0))
        present = out[f"{source}_score"].notna() & (weight > 0)
        weighted += np.where(present, mean.reindex(out.index).fillna(0).astype(float) * weight, 0.0)
        weight_present += np.where(present, weight, 0.0)
    out["composite"] = (weighted / weight_present.where(weight_present > 0)).round(2)
    out["grade"] = grade_of(out["composite"], rules.cutoffs)
    ranked = (
        out[out["composite"].notna()]
        .reset_index()
        .sort_values(
            ["composite", "expert_score", "resident_score", "project_id"],
            ascending=[False, False, False, True],
            na_position="last",
            kind="mergesort",
        )
    )
    out["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked["project_id"]).reindex(out.index)
    return out.reset_index()
