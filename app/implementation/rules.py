"""Pure rules of a project under way: instalments and their gates, budget changes, acceptance, closure."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.common.money import yuan
from app.implementation.models import ImplementationStatus

ENDED = (ImplementationStatus.closed, ImplementationStatus.terminated)

GATE_LABELS = {
    "agreement": "项目启动（签订协议）",
    "mid_term_review": "中期评估通过",
    "completion": "全部节点完成",
    "acceptance": "验收通过",
    "progress": "按工程进度",
}


@dataclass(frozen=True)
class Facts:
    """What the gates look at, read from the project's rows."""

    status: ImplementationStatus
    review_required: bool
    review_passed: bool
    review_overdue: bool  # a self-evaluation is due and has not come: payments stop (as for a late one)
    milestones_total: int  # not waived
    milestones_done: int
    accepted: bool


@dataclass(frozen=True)
class InstalmentState:
    """One instalment as of now: its amount, what was paid, what may be paid, and why not if nothing."""

    position: int
    share_pct: int
    gate: str
    amount_fen: int
    paid_fen: int
    payable_fen: int
    refusal: str | None  # a problem code, None when payable_fen > 0 or the instalment is paid
    overpaid_fen: int = 0  # paid above what the current budget makes it (after a budget cut)


def amounts(budget_fen: int, shares: list[int]) -> list[int]:
    """Each share of the budget rounded down to the fen; the last takes the remainder, so they sum exactly."""
    parts = [budget_fen * share // 100 for share in shares[:-1]]
    return [*parts, budget_fen - sum(parts)]


def gate_met(gate: str, facts: Facts) -> bool:
    """Whether the condition that releases an instalment holds."""
    return {
        "agreement": True,
        "progress": True,
        "mid_term_review": facts.review_passed,
        "completion": facts.milestones_done >= facts.milestones_total,
        "acceptance": facts.accepted,
    }[gate]


def progress_cap(amount_fen: int, facts: Facts) -> int:
    """A works instalment pays in step with the milestones done (all waived counts as complete)."""
    if facts.milestones_total == 0:
        return amount_fen
    return amount_fen * facts.milestones_done // facts.milestones_total


def instalments(
    plan: list[dict[str, Any]], budget_fen: int, paid: dict[int, int], facts: Facts
) -> list[InstalmentState]:
    """The plan applied to the current budget, in order; each says what may be paid now or why not.

    After a budget cut an instalment may have been paid above its new amount (overpaid_fen); what is
    payable never exceeds what the budget leaves unpaid, so the project as a whole is never overpaid.
    """
    states, earlier_open = [], False
    shares = amounts(budget_fen, [s["share_pct"] for s in plan])
    left = max(0, budget_fen - sum(paid.values()))
    for position, (step, amount) in enumerate(zip(plan, shares, strict=True), start=1):
        paid_fen = paid.get(position, 0)
        ceiling = min(progress_cap(amount, facts) if step["gate"] == "progress" else amount, paid_fen + left)
        refusal = None
        if facts.status in ENDED:
            refusal = "project_ended"
        elif facts.status == ImplementationStatus.payment_stopped or facts.review_overdue:
            refusal = "payments_stopped"
        elif earlier_open:
            refusal = "instalment_out_of_order"
        elif not gate_met(step["gate"], facts):
            refusal = "gate_not_met"
        elif facts.review_required and position > 1 and not facts.review_passed:
            refusal = "mid_term_review_required"
        payable = 0 if refusal else max(0, ceiling - paid_fen)
        if payable == 0 and refusal is None and paid_fen < amount:
            refusal = "progress_not_reached"
        if payable == 0 and refusal == "progress_not_reached" and left == 0:
            refusal = "project_fully_paid"
        states.append(
            InstalmentState(
                position,
                step["share_pct"],
                step["gate"],
                amount,
                paid_fen,
                payable,
                refusal if paid_fen < amount else None,
                max(0, paid_fen - amount),
            )
        )
        earlier_open = earlier_open or paid_fen < amount
    return states


def needs_meeting(
    old_budget_fen: int,
    new_budget_fen: int,
    category_changed: bool,
    purpose_changed: bool,
    threshold_pct: int,
    lines_raised_fen: int = 0,
) -> bool:
    """A change of category or purpose, of the budget by more than the threshold, or raising budget lines by
    more than the threshold of the budget in all (money moved between lines), goes to a meeting."""
    return (
        category_changed
        or purpose_changed
        or abs(new_budget_fen - old_budget_fen) * 100 > threshold_pct * old_budget_fen
        or lines_raised_fen * 100 > threshold_pct * old_budget_fen
    )


def line_allowance(line_amount_fen: int, tolerance_pct: int) -> int:
    """What may be spent on a budget line: its amount and the programme's tolerance, rounded down to the fen."""
    return line_amount_fen + line_amount_fen * tolerance_pct // 100


def line_exceeded(line_amount_fen: int, spent_fen: int, asked_fen: int, tolerance_pct: int) -> bool:
    """Whether spending asked_fen more on a line passes what it allows (a budget change must come first)."""
    return spent_fen + asked_fen > line_allowance(line_amount_fen, tolerance_pct)


def lines_raised_fen(changes: list[dict[str, Any]]) -> int:
    """Money added to budget lines by a change (cuts of other lines not netted: a move is a rise somewhere)."""
    return sum(max(0, c["new_fen"] - c["old_fen"]) for c in changes)


def line_problem(changes: list[dict[str, Any]], spent_by_line: dict[int, int]) -> str | None:
    """Why the new line amounts cannot stand, or None: no line below what was already spent on it."""
    below = [c for c in changes if c["new_fen"] < spent_by_line.get(c["budget_line"], 0)]
    if below:
        c = below[0]
        spent = spent_by_line[c["budget_line"]]
        return (
            f"第{c['budget_line']}项预算（{c['item']}）已支出 {yuan(spent)}，不能调减到 {yuan(c['new_fen'])}。"
            f" Line {c['budget_line']} cannot fall below the {yuan(spent)} spent on it."
        )
    return None


def budget_problem(new_budget_fen: int, disbursed_fen: int, spent_fen: int, cap_fen: int) -> str | None:
    """Why a new budget cannot stand, or None: never below what was paid or spent, never above the cap."""
    floor = max(disbursed_fen, spent_fen)
    if new_budget_fen < floor:
        return f"预算不能低于已拨付或已支出的 {yuan(floor)}。The budget cannot fall below what was paid out or spent."
    if new_budget_fen > cap_fen:
        return f"预算不能超过项目上限 {yuan(cap_fen)}。The budget cannot exceed the project cap."
    return None


def mid_term_due(started_on: date, milestone_dues: list[date]) -> date:
    """Default review date: halfway from the start to the last milestone."""
    last = max(milestone_dues, default=started_on)
    return started_on + (last - started_on) / 2


def acceptance_verdict(
    representatives_passed: bool,
    expert_required: bool,
    expert_passed: bool | None,
    respondents: int,
    satisfied: int,
    floor_pct: int,
) -> list[str]:
    """The reasons acceptance sends the project to rectification (整改); empty means accepted."""
    reasons = []
    if not representatives_passed:
        reasons.append("representatives_not_satisfied")
    # An expert who was asked and said no is heard even where the programme does not require one.
    if expert_passed is False or (expert_required and expert_passed is None):
        reasons.append("expert_not_satisfied")
    if satisfied * 100 < floor_pct * respondents:
        reasons.append("satisfaction_below_floor")
    return reasons


def satisfaction_pct(respondents: int, satisfied: int) -> float:
    """Satisfied residents as a percentage, one decimal."""
    return round(satisfied * 100 / respondents, 1) if respondents else 0.0
