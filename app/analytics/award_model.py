"""The rules an award run follows, validated; pure data, no database or web framework."""

from dataclasses import dataclass, field
from decimal import Decimal

from app.analytics.allocation_text import money

SOURCES = ("resident", "expert", "third_party")  # 居民评议 / 专家评议 / 第三方评估
GRADES = ("优秀", "良好", "合格", "不合格")
# Bump when a computation below changes meaning (.2: rectification bars 优秀项目 and 示范社区; reasons per project).
RULE_VERSION = "awards-2026.2"


class AwardRuleError(ValueError):
    """Rules that cannot produce an award list; `code` names the problem for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ScoringRules:
    """How scores become a composite and a grade (DOMAIN §7)."""

    weights: dict[str, Decimal]  # by source, adding up to exactly 1
    trim_extremes: bool = True  # 去掉一个最高分和一个最低分 ...
    trim_min_scores: int = 5  # ... when a source has at least this many scores for the project
    normalise: bool = False  # z-score each evaluator, rescaled to the source's mean and spread
    cutoffs: tuple[int, int, int] = (90, 80, 60)  # lowest composite of 优秀, 良好, 合格

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(SOURCES)
        if unknown:
            raise AwardRuleError("weights_unknown_source", f"Unknown sources in weights: {sorted(unknown)}.")
        if any(w < 0 for w in self.weights.values()):
            raise AwardRuleError("weights_negative", "Source weights cannot be negative.")
        total = sum(self.weights.values(), Decimal(0))
        if total != 1:
            raise AwardRuleError("weights_not_one", f"Source weights must add up to 1, not {total}.")
        excellent, good, passing = self.cutoffs
        if not 100 >= excellent > good > passing > 0:
            raise AwardRuleError("cutoffs_out_of_order", "Grade cut-offs must fall strictly: 优秀 > 良好 > 合格 > 0.")
        if self.trim_min_scores < 3:
            raise AwardRuleError("trim_min_too_small", "Trimming needs at least 3 scores to leave one.")


@dataclass(frozen=True)
class AwardRules:
    """Which awards a run gives and how much money goes with them (以奖代补)."""

    excellent_top_n: int | None = None  # 优秀项目: the top N (10 when neither is given) ...
    excellent_top_pct: int | None = None  # ... or the top X% (rounded up) ...
    excellent_min_grade: str = "优秀"  # ... of projects with at least this grade
    model_communities: int = 3  # 示范社区
    community_project_weight: Decimal = Decimal("0.7")  # mean composite of its projects ...
    community_satisfaction_weight: Decimal = Decimal("0.3")  # ... and its residents' satisfaction
    work_methods: int = 3  # 社区工作法, from nominations the panel scored
    subsidy_by_grade: dict[str, int] = field(default_factory=dict)  # fen per project of that grade
    subsidy_fund_fen: int = 0
    # A project whose satisfied share (ratings of 4 or 5 stars) is under this floor goes to rectification (整改) and,
    # while rectification bars awards, is no 优秀项目 and keeps its community from being a 示范社区. None: no floor.
    satisfaction_floor_pct: int | None = None
    rectification_bars_awards: bool = True

    def __post_init__(self) -> None:
        if self.excellent_top_n is not None and self.excellent_top_pct is not None:
            raise AwardRuleError("excellent_rule", "Give excellent_top_n or excellent_top_pct, not both.")
        if self.excellent_top_n is not None and self.excellent_top_n < 1:
            raise AwardRuleError("excellent_rule", "excellent_top_n is at least 1.")
        if self.excellent_top_pct is not None and not 0 < self.excellent_top_pct <= 100:
            raise AwardRuleError("excellent_rule", "excellent_top_pct lies between 1 and 100.")
        if self.excellent_min_grade not in GRADES[:3]:
            raise AwardRuleError("grade_unknown", f"excellent_min_grade is one of {GRADES[:3]}.")
        if self.community_project_weight + self.community_satisfaction_weight != 1:
            raise AwardRuleError("weights_not_one", "The community weights must add up to 1.")
        unknown = set(self.subsidy_by_grade) - set(GRADES)
        if unknown or any(v <= 0 for v in self.subsidy_by_grade.values()):
            raise AwardRuleError("subsidy_table_invalid", "Subsidies are positive fen for known grades.")
        if self.subsidy_by_grade and self.subsidy_fund_fen < min(self.subsidy_by_grade.values()):
            raise AwardRuleError(
                "award_fund_too_small",
                f"以奖代补资金 {money(self.subsidy_fund_fen)[1]}少于一个奖项的金额"
                f"（{money(min(self.subsidy_by_grade.values()))[1]}）。The award fund is smaller "
                "than one prize.",
            )
