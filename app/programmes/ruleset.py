"""The rules document of an annual programme: defaults from the seeds, validated, frozen once open."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PlainSerializer, model_validator

from app.common.strict import StrictInput
from app.programmes.enums import ProjectType

# 10 亿元: far above any micro-project budget, low enough that sums never leave BIGINT.
MAX_AMOUNT_FEN = 100_000_000_000

Fen = Annotated[int, Field(gt=0, le=MAX_AMOUNT_FEN, strict=True)]
# Weights are exact decimals so "sum to 1" is exact; they are shown as plain JSON numbers.
Weight = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Percent = Annotated[int, Field(ge=1, le=100)]


class _Rules(StrictInput):
    """Rules arrive in request bodies: closed and strict like any client input."""

    model_config = ConfigDict(extra="forbid")


class NoticeRule(_Rules):
    """Public-notice period: 5 working days (Futian), or N calendar days (seed 000 ran 10)."""

    unit: Literal["working_days", "calendar_days"] = "working_days"
    days: int = Field(default=5, ge=1, le=60)


class MeetingRule(_Rules):
    """Representative meeting: quorum as a fraction of ALL representatives, and the majority base."""

    quorum_numerator: int = Field(default=2, ge=1, le=100)
    quorum_denominator: int = Field(default=3, ge=1, le=100)
    # all: more than half of ALL representatives (seed 000); present: of those present (组织法 Art. 26).
    majority_base: Literal["all", "present"] = "all"

    @model_validator(mode="after")
    def _fraction(self) -> "MeetingRule":
        if self.quorum_numerator > self.quorum_denominator:
            raise ValueError("the quorum cannot exceed all representatives (numerator > denominator)")
        return self


class ProjectCaps(_Rules):
    """Per-project budget caps by project type (defaults: Zhuhai, ≤ 20万 / 20万 / 50万)."""

    services_fen: Fen = 20_000_000
    goods_fen: Fen = 20_000_000
    works_fen: Fen = 50_000_000

    def cap_for(self, project_type: ProjectType) -> int:
        """The cap in fen for one project type."""
        return {
            ProjectType.services: self.services_fen,
            ProjectType.goods: self.goods_fen,
            ProjectType.works: self.works_fen,
        }[project_type]


class EqualSharesRule(_Rules):
    """Equal shares as equalshares.net computes it (allocation_rule "equalshares"): its named parameters.

    completion: none, utilitarian (greedy by votes), add1 (raise every voter's budget by
    mes_increment_fen while the outcome fits), add1e (stop at the first exhaustive outcome), add1u /
    add1eu (then greedy). integral: start add1 from whole yuan per voter. comparison: keep the greedy
    outcome instead when more voters prefer it. Ties go by tie_breaking in order, then ballot number.
    """

    completion: Literal["none", "utilitarian", "add1", "add1e", "add1u", "add1eu"] = "add1"
    integral: bool = False
    comparison: Literal["none", "satisfaction", "exclusionRatio"] = "none"
    tie_breaking: list[Literal["maxVotes", "minCost", "maxCost"]] = Field(default=["maxVotes", "minCost"], max_length=3)

    @model_validator(mode="after")
    def _consistent(self) -> "EqualSharesRule":
        if len(set(self.tie_breaking)) != len(self.tie_breaking):
            raise ValueError("a tie-breaking criterion appears twice")
        if self.integral and not self.completion.startswith("add1"):
            raise ValueError("integral only applies to the add1 completions")
        return self


# Ballots that give points (a project's total decides), not approvals.
POINT_BALLOTS = ("cumulative", "ranked")


class BallotRule(_Rules):
    """Screening vote: what a ballot may hold, who casts one, and the allocation rule that picks the winners."""

    ballot_type: Literal["approval", "knapsack", "cumulative", "ranked"] = "approval"
    # Approval ballots choose between these many projects, ranked ballots rank between min_choices and
    # max_choices of them (points by rank as Krakow counts: max_choices for the first, one less for each next);
    # knapsack and cumulative ballots ignore them.
    min_choices: int = Field(default=1, ge=1, le=50)
    max_choices: int = Field(default=3, ge=1, le=50)
    # Knapsack ballots must spend at least this share of the round's budget (Decidim offers e.g. 70%).
    knapsack_min_spend_pct: int = Field(default=0, ge=0, le=100)
    # Cumulative ballots (Go Vocal, Katowice): each resident gives up to points_total points, at most
    # max_points_per_project to one project (None: no cap below points_total).
    points_total: int = Field(default=10, ge=1, le=50)
    max_points_per_project: int | None = Field(default=None, ge=1, le=50)
    # One ballot per resident on the roll, or one per household (一户一票).
    ballot_unit: Literal["resident", "household"] = "resident"
    allocation_rule: Literal["greedy", "mes", "mes-add1", "equalshares"] = "greedy"
    # default: more votes, then lower cost, then the earlier proposal; lexico: project number as a string.
    tie_break: Literal["default", "lexico"] = "default"
    # mes-add1 raises each voter's share by this much per step: 100 fen = one yuan, the "one unit" of pabulib.
    mes_increment_fen: int = Field(default=100, ge=1, le=1_000_000)
    # Only with allocation_rule "equalshares" (None there means the defaults).
    equal_shares: EqualSharesRule | None = None

    @model_validator(mode="after")
    def _choices(self) -> "BallotRule":
        if self.min_choices > self.max_choices:
            raise ValueError("min_choices cannot exceed max_choices")
        if self.equal_shares is not None and self.allocation_rule != "equalshares":
            raise ValueError("equal_shares parameters apply only to allocation_rule equalshares")
        if self.allocation_rule == "equalshares" and self.mes_increment_fen % 100:
            raise ValueError("equalshares raises budgets by whole yuan: mes_increment_fen must be a multiple of 100")
        if self.ballot_type in POINT_BALLOTS and self.allocation_rule != "greedy":
            # Equal shares here reads approval ballots; points are never silently counted as approvals.
            raise ValueError(
                f"allocation_rule {self.allocation_rule} cannot read {self.ballot_type} ballots; "
                f"{self.ballot_type} ballots are allocated by greedy (by points)"
            )
        if self.max_points_per_project is not None and self.max_points_per_project > self.points_total:
            raise ValueError("max_points_per_project cannot exceed points_total")
        return self


class EvaluationWeights(_Rules):
    """How evaluator types combine; must sum to exactly 1 (expert : public is often 7 : 3)."""

    resident: Weight = Decimal("0.3")
    expert: Weight = Decimal("0.7")
    third_party: Weight = Decimal("0")

    @model_validator(mode="after")
    def _sum_to_one(self) -> "EvaluationWeights":
        total = self.resident + self.expert + self.third_party
        if total != 1:
            raise ValueError(f"evaluation weights must sum to 1, not {total}")
        return self


class GradeCutoffs(_Rules):
    """Lowest score of each grade (Ministry of Finance bands 90 / 80 / 60); below pass is 不合格."""

    excellent: Percent = 90  # 优秀
    good: Percent = 80  # 良好
    passing: Percent = 60  # 合格

    @model_validator(mode="after")
    def _descending(self) -> "GradeCutoffs":
        if not self.excellent > self.good > self.passing:
            raise ValueError("grade cut-offs must fall strictly: excellent > good > passing")
        return self


class EvaluationRule(_Rules):
    """Weights, trimming and grades used when projects are evaluated."""

    weights: EvaluationWeights = Field(default_factory=EvaluationWeights)
    trim_extremes: bool = True  # 去掉一个最高分和一个最低分
    grade_cutoffs: GradeCutoffs = Field(default_factory=GradeCutoffs)
    # Resident satisfaction below this sends a project to rectification (Hengyang practice).
    satisfaction_floor_pct: Percent = 70
    # A project in rectification is no 优秀项目 that year, nor is its community a 示范社区.
    rectification_bars_awards: bool = True


class Instalment(_Rules):
    """One payment to the implementer: its share of the project budget and the condition that releases it."""

    share_pct: Percent
    # agreement: the project started; mid_term_review: the review passed; completion: every milestone done
    # or waived; acceptance: 验收 passed; progress: paid in parts as milestones are done (works).
    gate: Literal["agreement", "mid_term_review", "completion", "acceptance", "progress"]


def _plan(*steps: tuple[int, str]) -> list[Instalment]:
    return [Instalment(share_pct=share, gate=gate) for share, gate in steps]


class DisbursementPlan(_Rules):
    """Instalments by project type (DOMAIN §8): services half on agreement, half after completion; goods all
    after acceptance; works by progress with a 5% retention released after acceptance."""

    services: list[Instalment] = Field(
        default_factory=lambda: _plan((50, "agreement"), (50, "completion")), min_length=1, max_length=6
    )
    goods: list[Instalment] = Field(default_factory=lambda: _plan((100, "acceptance")), min_length=1, max_length=6)
    works: list[Instalment] = Field(
        default_factory=lambda: _plan((95, "progress"), (5, "acceptance")), min_length=1, max_length=6
    )

    @model_validator(mode="after")
    def _whole(self) -> "DisbursementPlan":
        for name in ("services", "goods", "works"):
            steps = getattr(self, name)
            if sum(s.share_pct for s in steps) != 100:
                raise ValueError(f"the {name} instalments must add up to 100%")
            if sum(s.gate == "progress" for s in steps) > 1:
                raise ValueError(f"the {name} plan may pay by progress in one instalment only")
        return self

    def for_type(self, project_type: ProjectType) -> list[Instalment]:
        """The instalments of one project type."""
        return {ProjectType.services: self.services, ProjectType.goods: self.goods, ProjectType.works: self.works}[
            project_type
        ]


class ImplementationRule(_Rules):
    """How confirmed projects are paid, changed, reviewed mid-term and accepted."""

    instalments: DisbursementPlan = Field(default_factory=DisbursementPlan)
    # A budget change beyond this share of the project budget (or of category or purpose) needs a new
    # representative meeting decision; smaller ones community staff approve.
    budget_change_threshold_pct: int = Field(default=10, ge=0, le=100)
    # Spending on one budget line may pass the line's amount by this share (invoices rarely match a line to the
    # fen; 10% is the share a small budget change may move anyway); beyond it, a budget change comes first.
    line_tolerance_pct: int = Field(default=10, ge=0, le=100)
    # 中期评估: when asked for, every instalment after the first waits for a passed review.
    mid_term_review: bool = False
    # 验收 by representatives, and also by a third-party expert when this is set.
    acceptance_expert: bool = False


class VentureRule(_Rules):
    """公益微创投: only verified social organisations apply, with a project plan; unlike 民生微实事 (办事不养人) a
    share of the budget may pay people, up to this percentage."""

    personnel_max_pct: int = Field(default=30, ge=0, le=100)


class SelectionRule(_Rules):
    """How projects are selected (选取方式): by resident vote (民生微实事), by expert review (评审, 公益微创投),
    or by both, the review's score weighing review_weight_pct against the vote share. Frozen with the rules
    when the programme opens, so nobody changes the method once selection has started."""

    method: Literal["vote", "review", "both"] = "vote"
    # Only with "both" (1–99); vote alone is 0 and review alone 100, which may be given or left out.
    review_weight_pct: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _weight_fits_method(self) -> "SelectionRule":
        allowed = {"vote": (0, 0), "review": (100, 100), "both": (1, 99)}[self.method]
        if self.method == "both" and self.review_weight_pct is None:
            raise ValueError("with method both, review_weight_pct (1–99) says how much the review weighs")
        if self.review_weight_pct is not None and not allowed[0] <= self.review_weight_pct <= allowed[1]:
            raise ValueError(f"with method {self.method} review_weight_pct must lie in {allowed[0]}–{allowed[1]}")
        return self

    @property
    def review_share(self) -> Decimal:
        """The review's weight as a fraction: 0 for vote, 1 for review, the given share for both."""
        pct = {"vote": 0, "review": 100}.get(self.method, self.review_weight_pct)
        return Decimal(pct or 0) / 100


class ProgrammeRules(_Rules):
    """Everything later steps read from the programme; defaults follow the seeds and DOMAIN.md."""

    subsidy_per_pilot_fen: int = Field(default=3_000_000, ge=0, le=MAX_AMOUNT_FEN, strict=True)
    notice: NoticeRule = Field(default_factory=NoticeRule)
    meeting: MeetingRule = Field(default_factory=MeetingRule)
    project_caps: ProjectCaps = Field(default_factory=ProjectCaps)
    ballot: BallotRule = Field(default_factory=BallotRule)
    evaluation: EvaluationRule = Field(default_factory=EvaluationRule)
    implementation: ImplementationRule = Field(default_factory=ImplementationRule)
    venture: VentureRule = Field(default_factory=VentureRule)
    selection: SelectionRule = Field(default_factory=SelectionRule)
    # Money not committed by the closing date: carried to next year's pilot, or swept back (Chengdu).
    year_end: Literal["carry_over", "sweep"] = "sweep"


def merge_rules(current: dict, changes: dict) -> ProgrammeRules:
    """current with changes laid over it key by key (nested documents too), validated again."""

    def _merge(base: dict, over: dict) -> dict:
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key) or {}, value) if isinstance(value, dict) else value
        return out

    return ProgrammeRules.model_validate(_merge(current, changes))
