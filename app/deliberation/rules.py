"""Quorum, majority and meeting-state rules of representative meetings (pure integer arithmetic).

Seed 000 二(一)2: a meeting needs at least two thirds of ALL representatives (三分之二以上的代表参加);
a decision needs more than half of ALL representatives (全体代表的过半数). National law
(村民委员会组织法 Art. 26) counts the majority of those present; the programme chooses the base.
Chinese "以上" includes the bound, so exactly two thirds is quorate; "过半数" is strictly more than half,
so a tie never passes.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.deliberation.enums import OUTCOME_LABELS, MeetingState, MotionOutcome
from app.proposals.enums import ProposalState

SHANGHAI = ZoneInfo("Asia/Shanghai")
MajorityBase = Literal["all", "present"]


def is_quorate(attendance: int, total: int, numerator: int = 2, denominator: int = 3) -> bool:
    """attendance ≥ numerator/denominator of ALL representatives; never with an empty roster."""
    return total > 0 and attendance * denominator >= numerator * total


def quorum_needed(total: int, numerator: int = 2, denominator: int = 3) -> int:
    """The fewest attendees that make the meeting quorate (ceil(total × num / den))."""
    return -(-numerator * total // denominator)


def majority_base_count(base: MajorityBase, total: int, attendance: int) -> int:
    """How many people the majority is counted against: all representatives, or those present."""
    return total if base == "all" else attendance


def passes(votes_for: int, base_count: int) -> bool:
    """More than half of the base (2 × for > base): a tie never passes."""
    return 2 * votes_for > base_count


def votes_needed(base_count: int) -> int:
    """The fewest votes for that pass: floor(base / 2) + 1."""
    return base_count // 2 + 1


@dataclass(frozen=True)
class Decision:
    """What a tally decides, and the numbers that justify it."""

    outcome: MotionOutcome
    votes_for: int
    votes_against: int
    votes_abstain: int
    base_count: int


def decide(
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
    *,
    base: MajorityBase,
    total: int,
    attendance: int,
    defer: bool = False,
    refer: bool = False,
) -> Decision:
    """Passed when the majority is reached; otherwise failed, or deferred/referred when the meeting so chooses."""
    base_count = majority_base_count(base, total, attendance)
    if passes(votes_for, base_count):
        outcome = MotionOutcome.passed
    elif refer:
        outcome = MotionOutcome.referred
    elif defer:
        outcome = MotionOutcome.deferred
    else:
        outcome = MotionOutcome.failed
    return Decision(outcome, votes_for, votes_against, votes_abstain, base_count)


def result_text(decision: Decision) -> str:
    """The result line of the minutes, e.g. '赞成16票，反对10票，弃权2票（基数30），通过'."""
    return (
        f"赞成{decision.votes_for}票，反对{decision.votes_against}票，弃权{decision.votes_abstain}票"
        f"（基数{decision.base_count}），{OUTCOME_LABELS[decision.outcome]}"
    )


def votes_missing(attendance: int, votes_cast: int) -> int:
    """Present (signed-in) representatives who have not voted, abstaining included, on an item."""
    return max(attendance - votes_cast, 0)


def incomplete_note(missing: int, attendance: int, reason: str) -> str:
    """What the minutes add when an item was decided before everyone present had voted."""
    return f"；到会{attendance}人中{missing}人未表决，经主持人确认提前表决，理由：{reason}"


@dataclass(frozen=True)
class RosterKey:
    """What tells one representative from another of the same community."""

    name: str
    unit_id: object | None
    phone_digest: str | None


def same_representative(a: RosterKey, b: RosterKey) -> bool:
    """A true duplicate: the same name and the same phone, or the same name with the same unit (or none) and no
    phone telling them apart. Two 张伟 of different buildings, or with different phones, are two people."""
    if a.name != b.name:
        return False
    if a.phone_digest is not None and a.phone_digest == b.phone_digest:
        return True
    return a.unit_id == b.unit_id and a.phone_digest == b.phone_digest


def representative_label(name: str, unit_name: str | None, phone_masked: str | None) -> str:
    """How staff tell representatives apart on the roster and the sheets, e.g. '张伟（3栋，138****1234）'."""
    marks = [m for m in (unit_name, phone_masked) if m]
    return f"{name}（{'，'.join(marks)}）" if marks else name


# Which writes each meeting state accepts.
ACCEPTS_AGENDA = frozenset({MeetingState.announced, MeetingState.in_session})
ACCEPTS_SIGN_IN = frozenset({MeetingState.in_session})
# Proposals an agenda takes: in deliberation, deferred (再议), or rejected by an earlier meeting and tabled again.
TABLEABLE_STATES = frozenset({ProposalState.in_deliberation, ProposalState.deferred, ProposalState.rejected})


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter 1-4) of a date."""
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(day: date) -> tuple[int, int]:
    """The last complete quarter before the one containing day."""
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


def shanghai_day_bounds_utc(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the Asia/Shanghai days first..last."""
    start = datetime.combine(first, time(), SHANGHAI).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
    return start, end
