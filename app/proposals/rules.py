"""The proposal lifecycle as data, and budget arithmetic (pure: no IO, no framework).

Each transition names who may make it. `system` stands for another service acting on its own
authority: the screening verdict, a meeting's close, the resident vote, the public notice,
implementation and evaluation. A person reaches those transitions only through those services,
never through the plain transition endpoint.
"""

from collections.abc import Iterable
from enum import StrEnum

from app.common.money import yuan
from app.proposals.enums import ProposalKind
from app.proposals.enums import ProposalState as S
from app.regions.rules import is_within


class Mover(StrEnum):
    """Who may move a proposal from one state to another."""

    proposer = "proposer"
    community_staff = "community_staff"
    street_admin = "street_admin"
    system = "system"


P, C, T, Y = Mover.proposer, Mover.community_staff, Mover.street_admin, Mover.system
STAFF = frozenset({C, T})

# States from which the proposer may still withdraw: nothing binding has been decided on it yet.
OPEN_STATES = frozenset(
    {S.draft, S.submitted, S.returned, S.screened, S.under_survey, S.in_deliberation, S.deferred, S.shortlisted}
)
# The proposer may change content only while the proposal is with them.
EDITABLE_STATES = frozenset({S.draft, S.returned})
# Not selected is not final: money freed by an upheld objection during the notice may still reach it.
# Nor is rejected: a later representative meeting may table the proposal again (issue 23).
TERMINAL_STATES = frozenset({S.evaluated, S.withdrawn, S.terminated})
# States in which staff may record needs-survey findings.
SURVEY_STATES = frozenset({S.screened, S.under_survey, S.in_deliberation, S.deferred})

TRANSITIONS: dict[tuple[S, S], frozenset[Mover]] = {
    (S.draft, S.submitted): frozenset({P}),
    (S.returned, S.submitted): frozenset({P}),
    (S.submitted, S.screened): frozenset({Y}),  # screening passed
    (S.submitted, S.returned): frozenset({Y}),  # screening failed, reasons recorded
    (S.screened, S.under_survey): STAFF,
    (S.under_survey, S.in_deliberation): STAFF,
    (S.in_deliberation, S.shortlisted): frozenset({Y}),  # meeting close: the motion passed
    (S.in_deliberation, S.rejected): frozenset({Y}),  # meeting close: the motion failed
    (S.in_deliberation, S.deferred): frozenset({Y}),  # meeting close: tie, referral, inquorate (再议)
    (S.deferred, S.in_deliberation): STAFF | {Y},  # back on the next meeting's agenda
    (S.rejected, S.in_deliberation): frozenset({Y}),  # tabled again at a later meeting
    (S.shortlisted, S.in_vote): frozenset({Y}),
    (S.in_vote, S.shortlisted): frozenset({Y}),  # the round was called off before anyone voted
    (S.in_vote, S.selected): frozenset({Y}),
    (S.in_vote, S.not_selected): frozenset({Y}),
    # 公益微创投 selected by an expert review panel's close (no resident vote in between).
    (S.screened, S.selected): frozenset({Y}),
    (S.screened, S.not_selected): frozenset({Y}),
    (S.shortlisted, S.selected): frozenset({Y}),
    (S.shortlisted, S.not_selected): frozenset({Y}),
    (S.selected, S.in_notice): frozenset({Y}),
    (S.not_selected, S.selected): frozenset({Y}),  # money freed by an upheld objection reached it
    (S.in_notice, S.confirmed): frozenset({Y}),
    (S.in_notice, S.not_selected): frozenset({Y}),  # an objection was upheld: the grant is cancelled
    (S.in_notice, S.in_deliberation): frozenset({Y}),  # an objection was upheld: deliberate it again
    (S.confirmed, S.in_implementation): frozenset({Y}),
    (S.in_implementation, S.completed): frozenset({Y}),
    (S.in_implementation, S.terminated): frozenset({Y}),
    (S.completed, S.evaluated): frozenset({Y}),
    **{(state, S.withdrawn): frozenset({P}) for state in OPEN_STATES},
}


def may(current: S, target: S, movers: Iterable[Mover]) -> bool:
    """Whether one of movers may take a proposal from current to target."""
    return bool(TRANSITIONS.get((current, target), frozenset()) & frozenset(movers))


def allowed_from(current: S, movers: Iterable[Mover]) -> list[dict[str, object]]:
    """The transitions out of current that one of movers may make, with who may make each."""
    movers = frozenset(movers)
    return [
        {"to": target.value, "by": sorted(m.value for m in who)}
        for (source, target), who in TRANSITIONS.items()
        if source == current and who & movers
    ]


# Seed 000: a compound charter (小区公约) is an agreement, not a purchase; every other kind spends money.
BUDGETLESS_KINDS = frozenset({ProposalKind.charter})


def line_amount(quantity: int, unit_price_fen: int) -> int:
    """A budget line's amount in fen (exact integer product)."""
    return quantity * unit_price_fen


def budget_total(lines: Iterable[tuple[int, int]]) -> int:
    """The total in fen of (quantity, unit price) lines."""
    return sum(line_amount(q, p) for q, p in lines)


def budget_problem(kind: ProposalKind, line_count: int, total_fen: int, cap_fen: int) -> str | None:
    """Why a budget cannot go forward (empty, or over the per-type cap), or None."""
    if line_count == 0 and kind not in BUDGETLESS_KINDS:
        return "A proposal needs at least one budget line."
    if total_fen > cap_fen:
        return (
            f"预算 {yuan(total_fen)} 超过本年度该类项目的上限 {yuan(cap_fen)}。"
            "The budget exceeds the programme's cap for this project type."
        )
    return None


def personnel_problem(kind: ProposalKind, personnel_fen: int, total_fen: int, max_pct: int) -> str | None:
    """Why the personnel lines are not allowed (in Chinese), or None: none in 民生微实事 and the other kinds
    (办事不养人); in 公益微创投 at most max_pct of the budget."""
    if personnel_fen == 0:
        return None
    if kind != ProposalKind.venture:
        return "民生微实事等项目不得列支人员工资、补贴等人员费用（办事不养人）。"
    if personnel_fen * 100 > total_fen * max_pct:
        return (
            f"人员费用{yuan(personnel_fen)}超过项目预算{yuan(total_fen)}的{max_pct}%"
            f"（上限{yuan(total_fen * max_pct // 100)}）。"
        )
    return None


def lives_in(home_path: str | None, community_path: str) -> bool:
    """Whether a resident's home (their region, or a sub-unit of it) is in the community."""
    return is_within(home_path, community_path)
