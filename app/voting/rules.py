"""Voting rules (pure): round phases, ballot validity, choice masks, voter keys and the tally's inputs."""

import hashlib
import json
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from app.analytics.allocation import AllocationResult, Ballot, Instance, Project, allocate
from app.analytics.equalshares_net import equalshares
from app.analytics.equalshares_params import EqualSharesParams
from app.analytics.score_greedy import score_greedy
from app.programmes.ruleset import POINT_BALLOTS, BallotRule, EqualSharesRule
from app.voting.models import MAX_ROUND_PROJECTS, RoundStatus


class Phase:
    """Where a round stands at a moment: its stored status plus its window."""

    upcoming = "upcoming"  # scheduled, not yet open
    open = "open"  # ballots accepted
    ended = "ended"  # window over, waiting to be closed and counted
    closed = "closed"
    cancelled = "cancelled"


def phase(status: RoundStatus, opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """The round's phase at `now`; the window is [opens_at, closes_at)."""
    if status == RoundStatus.closed:
        return Phase.closed
    if status == RoundStatus.cancelled:
        return Phase.cancelled
    if now < opens_at:
        return Phase.upcoming
    return Phase.open if now < closes_at else Phase.ended


@dataclass(frozen=True)
class BallotProblem:
    """Why a ballot is refused: a stable code and a sentence for the voter."""

    code: str
    message: str


def ballot_problem(
    rule: BallotRule, choices: Sequence[int], costs: Mapping[int, int], budget_fen: int
) -> BallotProblem | None:
    """What is wrong with a ballot choosing project numbers `choices`, or None when it is valid.
    A cumulative ballot names a project once per point it gives it."""
    if rule.ballot_type == "cumulative":
        return _points_problem(rule, choices, costs)
    if len(set(choices)) != len(choices):
        if rule.ballot_type == "ranked":
            return BallotProblem("duplicate_rank", "同一项目不能排在两个名次。A project is ranked more than once.")
        return BallotProblem("duplicate_choice", "同一项目不能重复选择。A project is chosen more than once.")
    unknown = _unknown(choices, costs)
    if unknown:
        return unknown
    if rule.ballot_type in ("approval", "ranked"):
        if len(choices) < rule.min_choices:
            return BallotProblem(
                "too_few_choices",
                f"请至少选择 {rule.min_choices} 个项目。Choose at least {rule.min_choices} project(s).",
            )
        if len(choices) > rule.max_choices:
            return BallotProblem(
                "too_many_choices",
                f"最多只能选择 {rule.max_choices} 个项目。Choose at most {rule.max_choices} project(s).",
            )
        return None
    if not choices:
        return BallotProblem("too_few_choices", "请至少选择一个项目。Choose at least one project.")
    spent = sum(costs[n] for n in choices)
    if spent > budget_fen:
        return BallotProblem(
            "over_budget",
            f"所选项目合计 {yuan(spent)}，超过预算 {yuan(budget_fen)}。The chosen projects cost more than the budget.",
        )
    floor = min_spend_fen(rule, budget_fen)
    if spent < floor:
        return BallotProblem(
            "under_min_spend",
            f"所选项目合计 {yuan(spent)}，须至少用去预算的 "
            f"{rule.knapsack_min_spend_pct}%（{yuan(floor)}）。The chosen projects "
            f"must cost at least {rule.knapsack_min_spend_pct}% of the budget.",
        )
    return None


def _unknown(choices: Sequence[int], costs: Mapping[int, int]) -> BallotProblem | None:
    unknown = sorted({n for n in choices if n not in costs})
    if unknown:
        return BallotProblem(
            "unknown_project",
            f"{'、'.join(map(str, unknown))}号项目不在本轮选票上。"
            f"Project number(s) {unknown} are not on this round's ballot.",
        )
    return None


def _points_problem(rule: BallotRule, choices: Sequence[int], costs: Mapping[int, int]) -> BallotProblem | None:
    if not choices:
        return BallotProblem("too_few_choices", "请至少给一个项目投一分。Give at least one point.")
    unknown = _unknown(choices, costs)
    if unknown:
        return unknown
    if len(choices) > rule.points_total:
        return BallotProblem(
            "too_many_points",
            f"每人最多分配 {rule.points_total} 分，本票用了 {len(choices)} 分。"
            f"At most {rule.points_total} points may be given.",
        )
    cap = rule.max_points_per_project
    over = sorted(n for n, p in points_of(choices).items() if cap is not None and p > cap)
    if over:
        return BallotProblem(
            "too_many_points_per_project",
            f"{'、'.join(map(str, over))}号项目超过每个项目最多 {cap} 分的上限。"
            f"At most {cap} points may go to one project.",
        )
    return None


def points_of(choices: Iterable[int], rule: BallotRule | None = None) -> dict[int, int]:
    """Points per project number: a cumulative ballot names a project once per point; a ranked ballot gives
    max_choices points to its first project and one less to each next (Krakow's count, pabulib ordinal)."""
    if rule is not None and rule.ballot_type == "ranked":
        return {n: rule.max_choices - k for k, n in enumerate(choices)}
    out: dict[int, int] = {}
    for n in choices:
        out[n] = out.get(n, 0) + 1
    return out


def stored_choices(rule: BallotRule, choices: Sequence[int]) -> list[int]:
    """How a valid ballot's choices are stored: a ranking in its order, any other ballot sorted."""
    return list(choices) if rule.ballot_type == "ranked" else sorted(choices)


def min_spend_fen(rule: BallotRule, budget_fen: int) -> int:
    """The least a knapsack ballot must spend (rounded up to a whole fen)."""
    return -(-budget_fen * rule.knapsack_min_spend_pct // 100)


def choice_mask(choices: Iterable[int]) -> int:
    """The choices as a bitmask (bit n for project number n), so the tally is one GROUP BY."""
    mask = 0
    for number in choices:
        if not 1 <= number <= MAX_ROUND_PROJECTS:
            raise ValueError(f"project number {number} out of range")
        mask |= 1 << number
    return mask


def choices_of(mask: int) -> list[int]:
    """The project numbers a mask holds, ascending."""
    out = []
    while mask:  # lowest set bit first, so ascending; costs one step per choice, not per possible project
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def voter_key(rule: BallotRule, roll_entry_id: str, household: str | None) -> str:
    """Who a ballot belongs to: the resident, or their household under 一户一票 (blank: a household of one)."""
    if rule.ballot_unit == "household" and household and household.strip():
        # "3栋 501", "3栋501" and "３栋５０１" are one household: NFKC, no whitespace, case-folded.
        return "h:" + "".join(unicodedata.normalize("NFKC", household).split()).casefold()[:130]
    return f"r:{roll_entry_id}"


def receipt_digest(code: str) -> str:
    """How a receipt code is stored and published: its SHA-256 (the code is random, so this hides it)."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


RECEIPT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32: no 0/1, readable aloud
# A receipt code starts with the first 20 bits of its round's id (4 characters): a check finds the round among the
# few whose ids share them, then the ballot in that round's part of the round-led receipt index, so no index
# keyed by receipt alone is needed (the close rewrote one random page of it per ballot). Codes handed out before
# migration 0031 have 16 characters and no hint; their rounds are in legacy_receipt.
RECEIPT_HINT_CHARS = 4
_HINT_SHIFT = 128 - 5 * RECEIPT_HINT_CHARS


def receipt_hint(round_id: uuid.UUID) -> str:
    """The characters a receipt code of this round starts with."""
    top = round_id.int >> _HINT_SHIFT
    return "".join(RECEIPT_ALPHABET[(top >> 5 * k) & 31] for k in reversed(range(RECEIPT_HINT_CHARS)))


def receipt_code(round_id: uuid.UUID, random_part: str) -> str:
    """A receipt code: the round's hint and 16 random base32 characters, in groups of four."""
    raw = receipt_hint(round_id) + random_part
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def hinted_rounds(code: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The lowest and highest round id a receipt code's hint allows; None for a code without one (before 0031)."""
    chars = code.strip().upper().replace("-", "")
    hint = chars[:RECEIPT_HINT_CHARS]
    if len(chars) != RECEIPT_HINT_CHARS + 16 or any(c not in RECEIPT_ALPHABET for c in hint):
        return None
    top = 0
    for c in hint:
        top = top << 5 | RECEIPT_ALPHABET.index(c)
    return uuid.UUID(int=top << _HINT_SHIFT), uuid.UUID(int=((top + 1) << _HINT_SHIFT) - 1)


@dataclass(frozen=True)
class TallyInput:
    """Everything the allocation of a closed round depends on, as plain data."""

    budget_fen: int
    costs: dict[int, int]  # project number -> cost in fen
    profile: dict[int, int]  # choice mask -> number of ballots with exactly those choices
    rule: BallotRule
    incompatible_groups: tuple[tuple[int, ...], ...]
    # Cumulative and ranked rounds only: each distinct ballot (its stored choices) -> number of ballots.
    points_profile: dict[tuple[int, ...], int] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 of a canonical JSON of the inputs: the same inputs always give the same digest."""
        cumulative = self.rule.ballot_type in POINT_BALLOTS
        # The point fields only enter point rounds' digests, so approval and knapsack digests stay as they were.
        rule = self.rule.model_dump(
            mode="json", exclude=None if cumulative else {"points_total", "max_points_per_project"}
        )
        doc = {
            "budget_fen": self.budget_fen,
            "costs": sorted(self.costs.items()),
            "profile": sorted(self.profile.items()),
            "rule": rule,
            "incompatible_groups": sorted(sorted(g) for g in self.incompatible_groups),
        }
        if cumulative:
            doc["points_profile"] = sorted([list(k), v] for k, v in self.points_profile.items())
        return hashlib.sha256(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()).hexdigest()


def run_allocation(tally: TallyInput) -> AllocationResult:
    """Allocate the round's budget with the programme's rule; project ids are ballot numbers as strings."""
    projects = tuple(Project(str(n), cost, order=n) for n, cost in sorted(tally.costs.items()))
    ballots = [
        Ballot(frozenset(str(n) for n in choices_of(mask)), weight)
        for mask, weight in sorted(tally.profile.items())
        if weight > 0
    ]
    groups = [[str(n) for n in group] for group in tally.incompatible_groups]
    if tally.rule.ballot_type in POINT_BALLOTS:
        return _greedy_by_points(tally, Instance(tally.budget_fen, projects))
    if tally.rule.allocation_rule == "equalshares":
        return _equalshares(tally, Instance(tally.budget_fen, projects), ballots, groups)
    return allocate(
        Instance(tally.budget_fen, projects),
        ballots,
        tally.rule.allocation_rule,
        tally.rule.tie_break,
        groups,
        voter_budget_increment=tally.rule.mes_increment_fen,
    )


def equal_shares_params(rule: BallotRule, numbers: Iterable[int]) -> EqualSharesParams:
    """The round's equalshares.net variant; ties the programme's criteria leave go to the lower ballot number."""
    es = rule.equal_shares or EqualSharesRule()
    return EqualSharesParams(
        completion=es.completion,
        integral=es.integral,
        comparison=es.comparison,
        tie_breaking=(*es.tie_breaking, tuple(str(n) for n in sorted(numbers))),
        increment=rule.mes_increment_fen // 100,
    )


def _equalshares(
    tally: TallyInput,
    instance: Instance,
    ballots: list[Ballot],
    groups: list[list[str]],
) -> AllocationResult:
    params = equal_shares_params(tally.rule, tally.costs)
    return equalshares(instance, ballots, params, money_scale=100, incompatible_groups=groups)


def point_totals(
    costs: Mapping[int, int], points_profile: Mapping[tuple[int, ...], int], rule: BallotRule
) -> dict[int, int]:
    """Points per project number over a cumulative or ranked round's ballots."""
    totals = dict.fromkeys(costs, 0)
    for choices, weight in points_profile.items():
        for n, points in points_of(choices, rule).items():
            if n in totals:
                totals[n] += points * weight
    return totals


def _greedy_by_points(tally: TallyInput, instance: Instance) -> AllocationResult:
    """Greedy by points (pabulib's greedy on cumulative ballots): most points first, skipping what no longer fits;
    equal points by more supporters, then lower cost, then ballot number."""
    totals = point_totals(tally.costs, tally.points_profile, tally.rule)
    supporters = dict.fromkeys(tally.costs, 0)
    for choices, weight in tally.points_profile.items():
        for n in set(choices):
            supporters[n] += weight
    return score_greedy(
        instance,
        {str(n): Fraction(p) for n, p in totals.items()},
        {str(n): s for n, s in supporters.items()},
        "greedy",
        n_voters=sum(tally.points_profile.values()),
    )


def vote_counts(costs: Mapping[int, int], profile: Mapping[int, int]) -> dict[int, int]:
    """Approvals per project number."""
    counts = dict.fromkeys(costs, 0)
    for mask, weight in profile.items():
        for n in choices_of(mask):
            if n in counts:
                counts[n] += weight
    return counts


def groups_problem(groups: Sequence[Sequence[int]], numbers: Iterable[int]) -> str | None:
    """What is wrong with incompatible groups over the round's project numbers, or None."""
    known, seen = set(numbers), set[int]()
    for group in groups:
        if len(group) < 2:
            return "an incompatible group needs at least two projects"
        if len(set(group)) != len(group):
            return "a project appears twice in one incompatible group"
        unknown = sorted(set(group) - known)
        if unknown:
            return f"project number(s) {unknown} of an incompatible group are not in the round"
        if seen & set(group):
            return "a project may belong to one incompatible group only"
        seen |= set(group)
    return None


def unreserved_fen(uncommitted_fen: int, held_by_rounds_fen: int) -> int:
    """What a new round, or a raise of a round's budget, may still promise: the pilot's uncommitted money less
    what its other rounds hold."""
    return max(0, uncommitted_fen - held_by_rounds_fen)


def yuan(fen: int) -> str:
    """Integer fen as 元 with two decimals, for messages people read (exact: no float on the way)."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"
