"""States and choices of representative meetings and deliberation councils."""

from enum import StrEnum


class MeetingState(StrEnum):
    """announced (public) → in_session (roster and rules frozen) → closed (immutable); or cancelled."""

    announced = "announced"
    in_session = "in_session"
    closed = "closed"
    cancelled = "cancelled"


class MeetingForm(StrEnum):
    """How the meeting is held."""

    in_person = "in_person"  # 现场会议
    online = "online"  # 网络会议
    hybrid = "hybrid"  # 线上线下结合


class VoteChoice(StrEnum):
    """A representative's vote on one agenda item."""

    for_ = "for"  # 赞成
    against = "against"  # 反对
    abstain = "abstain"  # 弃权


class MotionOutcome(StrEnum):
    """What the meeting decided on an agenda item."""

    passed = "passed"  # 通过
    failed = "failed"  # 未通过
    deferred = "deferred"  # 再议: back to the next meeting (a tie, an inquorate meeting, no vote taken)
    referred = "referred"  # 提交居民会议: the meeting could not settle it (002 二(四))


class CouncilForm(StrEnum):
    """Forms of community deliberation (000 二(二)2, 001 三(三))."""

    council = "council"  # 议事会
    dialogue = "dialogue"  # 民情恳谈会
    coordination = "coordination"  # 事务协调会
    hearing = "hearing"  # 听证会
    review = "review"  # 成效评议会
    other = "other"


class CouncilState(StrEnum):
    """registering (open registration and invitations) → selected (participants fixed)."""

    registering = "registering"
    selected = "selected"


class ParticipantSource(StrEnum):
    """How someone came to be a candidate (001 三(二))."""

    registration = "registration"  # 公开报名
    invitation = "invitation"  # 主动邀请


class SelectionMethod(StrEnum):
    """Why a candidate got a seat."""

    invitation = "invitation"  # 主动邀请
    quota = "quota"  # 重点配额 (random within the group)
    random = "random"  # 随机抽样


OUTCOME_LABELS = {
    MotionOutcome.passed: "通过",
    MotionOutcome.failed: "未通过",
    MotionOutcome.deferred: "再议",
    MotionOutcome.referred: "提交居民会议",
}


class GroupBasis(StrEnum):
    """How a candidate's quota group is known: only known groups count for quotas in the draw."""

    roll = "roll"  # the group names the sub-unit the resident's roll entry gives (e.g. 彩田村小区)
    staff = "staff"  # set by staff (an invitation) or a registrant's claim staff confirmed
    claimed = "claimed"  # declared by the registrant, not yet confirmed: the draw waits for staff to decide
