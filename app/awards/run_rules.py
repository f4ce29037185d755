"""An award run's rules: from the request and the campaign to the analytics' rule objects and back to JSON."""

from decimal import Decimal
from typing import Any

import pandas as pd

from app.analytics.award_model import AwardRules, ScoringRules
from app.analytics.awards import NOMINATION_COLUMNS, compute, digest
from app.analytics.evaluation_scores import PROJECT_COLUMNS, RATING_COLUMNS, SCORE_COLUMNS
from app.awards.models import AwardRun
from app.awards.schemas import AwardRunCreate
from app.evaluation.campaign_service import rule_of
from app.evaluation.models import EvaluationCampaign


def scoring_rules(campaign: EvaluationCampaign, body: AwardRunCreate) -> ScoringRules:
    rule = rule_of(campaign)
    cut = rule.grade_cutoffs
    return ScoringRules(
        weights={
            "resident": rule.weights.resident,
            "expert": rule.weights.expert,
            "third_party": rule.weights.third_party,
        },
        trim_extremes=rule.trim_extremes,
        trim_min_scores=body.trim_min_scores,
        normalise=body.normalise,
        cutoffs=(cut.excellent, cut.good, cut.passing),
    )


def award_rules(campaign: EvaluationCampaign, body: AwardRunCreate) -> AwardRules:
    rule = rule_of(campaign)
    return AwardRules(
        satisfaction_floor_pct=rule.satisfaction_floor_pct,
        rectification_bars_awards=rule.rectification_bars_awards,
        excellent_top_n=body.excellent_top_n,
        excellent_top_pct=body.excellent_top_pct,
        excellent_min_grade=body.excellent_min_grade,
        model_communities=body.model_communities,
        work_methods=body.work_methods,
        subsidy_by_grade=dict(body.subsidy_by_grade),
        subsidy_fund_fen=body.subsidy_fund_fen,
    )


def nominations(body: AwardRunCreate) -> list[dict[str, Any]]:
    # Nominations are numbered in the order given, so the same request gives the same ids.
    return [
        {
            "nomination_id": f"N{i:03d}",
            "community_id": str(n.community_id),
            "title": n.title,
            "evaluator": s.evaluator,
            "total": s.total_points,
        }
        for i, n in enumerate(body.nominations, start=1)
        for s in n.scores
    ]


def config_of(scoring: ScoringRules, awards: AwardRules) -> dict[str, Any]:
    """The rules as applied, in plain JSON (Decimals as strings, so digests are exact)."""
    return {
        "scoring": {
            "weights": {k: str(v) for k, v in sorted(scoring.weights.items())},
            "trim_extremes": scoring.trim_extremes,
            "trim_min_scores": scoring.trim_min_scores,
            "normalise": scoring.normalise,
            "cutoffs": list(scoring.cutoffs),
        },
        "awards": {
            "excellent_top_n": awards.excellent_top_n,
            "excellent_top_pct": awards.excellent_top_pct,
            "excellent_min_grade": awards.excellent_min_grade,
            "model_communities": awards.model_communities,
            "community_weights": [str(awards.community_project_weight), str(awards.community_satisfaction_weight)],
            "work_methods": awards.work_methods,
            "subsidy_by_grade": awards.subsidy_by_grade,
            "subsidy_fund_fen": awards.subsidy_fund_fen,
            "satisfaction_floor_pct": awards.satisfaction_floor_pct,
            "rectification_bars_awards": awards.rectification_bars_awards,
        },
    }


def run_outputs(inputs: dict[str, list[dict[str, Any]]], scoring: ScoringRules, awards: AwardRules) -> dict[str, Any]:
    """The analytics over recorded inputs: what a run stores, and what a recheck recomputes."""
    return compute(
        pd.DataFrame.from_records(inputs["scores"], columns=SCORE_COLUMNS),
        pd.DataFrame.from_records(inputs["ratings"], columns=RATING_COLUMNS),
        pd.DataFrame.from_records(inputs["projects"], columns=PROJECT_COLUMNS),
        pd.DataFrame.from_records(inputs["nominations"], columns=NOMINATION_COLUMNS),
        scoring,
        awards,
    )


def recheck(run: AwardRun) -> bool:
    """Whether recomputing from the recorded inputs and rules gives byte-identical outputs."""
    return digest(run_outputs(run.inputs, *rules_from_config(run.config))) == run.outputs_digest


def rules_from_config(config: dict[str, Any]) -> tuple[ScoringRules, AwardRules]:
    """The analytics rules a run recorded, rebuilt."""
    scoring_cfg, awards_cfg = config["scoring"], config["awards"]
    scoring = ScoringRules(
        weights={k: Decimal(v) for k, v in scoring_cfg["weights"].items()},
        trim_extremes=scoring_cfg["trim_extremes"],
        trim_min_scores=scoring_cfg["trim_min_scores"],
        normalise=scoring_cfg["normalise"],
        cutoffs=tuple(scoring_cfg["cutoffs"]),
    )
    awards = AwardRules(
        excellent_top_n=awards_cfg["excellent_top_n"],
        excellent_top_pct=awards_cfg["excellent_top_pct"],
        excellent_min_grade=awards_cfg["excellent_min_grade"],
        model_communities=awards_cfg["model_communities"],
        community_project_weight=Decimal(awards_cfg["community_weights"][0]),
        community_satisfaction_weight=Decimal(awards_cfg["community_weights"][1]),
        work_methods=awards_cfg["work_methods"],
        subsidy_by_grade=awards_cfg["subsidy_by_grade"],
        subsidy_fund_fen=awards_cfg["subsidy_fund_fen"],
        # Runs of rule version awards-2026.1 knew no rectification floor.
        satisfaction_floor_pct=awards_cfg.get("satisfaction_floor_pct"),
        rectification_bars_awards=awards_cfg.get("rectification_bars_awards", True),
    )
    return scoring, awards
