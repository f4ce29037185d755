"""Pure rules of notification delivery: default channels, backoff, quiet hours, and the messages' wording."""

from datetime import datetime, time, timedelta
from typing import Any

from app.core.clock import SHANGHAI
from app.notifications.models import Channel, NotificationKind

# Without a choice of their own a person gets the inbox and WeChat (free); SMS costs money, so it is chosen.
DEFAULT_CHANNELS = (Channel.inbox, Channel.wechat)
KIND_LABELS = {
    NotificationKind.round_opened: "投票开始",
    NotificationKind.round_closing: "投票即将截止",
    NotificationKind.notice_published: "社区公示",
    NotificationKind.objection_answered: "异议答复",
    NotificationKind.proposal_moved: "提案进展",
    NotificationKind.evaluator_assigned: "评审任务",
    NotificationKind.objection_waiting: "待处理异议",
    NotificationKind.milestone_overdue: "节点逾期",
    NotificationKind.instalment_due: "可拨付",
}
STATE_LABELS = {
    "screened": "初审通过",
    "returned": "初审退回",
    "shortlisted": "入围",
    "rejected": "未通过",
    "selected": "入选",
    "not_selected": "未入选",
    "deferred": "再议",
    "confirmed": "确定",
    "in_implementation": "实施中",
    "completed": "完成",
    "terminated": "终止",
}
# Proposal moves a proposer is told about.
TOLD_STATES = frozenset(STATE_LABELS)


def backoff(attempts: int, base: int, cap: int) -> timedelta:
    """The wait after the n-th failed attempt: base, 2 base, 4 base, ... at most cap."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """'21:00-08:00' -> (21:00, 08:00); '' -> None."""
    if not spec.strip():
        return None
    start, _, end = spec.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(moment: datetime, quiet: tuple[time, time] | None) -> datetime | None:
    """When the quiet hours holding `moment` end (in UTC), or None if `moment` is outside them."""
    if quiet is None:
        return None
    start, end = quiet
    local = moment.astimezone(SHANGHAI)
    now_t = local.time()
    inside = (start <= now_t or now_t < end) if start > end else (start <= now_t < end)
    if not inside:
        return None
    day = local.date() if now_t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=SHANGHAI).astimezone(moment.tzinfo)


def yuan(fen: int) -> str:
    """12345 -> '123.45元'."""
    return f"{fen // 100}.{fen % 100:02d}元"


def message(kind: NotificationKind, payload: dict[str, Any]) -> tuple[str, str]:
    """Title and text of a notification, in Chinese, from the event's payload."""
    if kind == NotificationKind.round_opened:
        return "居民投票已开始", f"“{payload['title']}”已开始投票，截止时间 {payload['closes_local']}。"
    if kind == NotificationKind.round_closing:
        return "居民投票即将截止", f"“{payload['title']}”将于 {payload['closes_local']} 截止投票。"
    if kind == NotificationKind.notice_published:
        return "社区发布公示", f"“{payload['title']}”公示期 {payload['starts_on']} 至 {payload['ends_on']}。"
    if kind == NotificationKind.objection_answered:
        verdict = "成立" if payload["status"] == "upheld" else "不成立"
        return "您的异议已答复", f"对“{payload['project_title']}”的异议{verdict}：{payload['reply']}"
    if kind == NotificationKind.evaluator_assigned:
        return "新的评审任务", f"“{payload['campaign']}”分配给您 {payload['count']} 个项目，请按时评分。"
    if kind == NotificationKind.objection_waiting:
        return "有新的异议待处理", (
            f"公示项目“{payload['project_title']}”收到异议（{payload['tracking_code']}），请及时核查答复。"
        )
    if kind == NotificationKind.milestone_overdue:
        return "实施节点逾期", (
            f"项目“{payload['project_title']}”的节点“{payload['milestone']}”应于 {payload['due_on']} 完成，尚未完成。"
        )
    if kind == NotificationKind.instalment_due:
        return "拨款可以拨付", (
            f"项目“{payload['project_title']}”第{payload['position']}期拨款的条件已满足，"
            f"可拨付 {yuan(payload['payable_fen'])}。"
        )
    state = STATE_LABELS.get(payload["state"], payload["state"])
    reason = f"，原因：{payload['reason']}" if payload.get("reason") else ""
    return "提案进展", f"您的提案“{payload['title']}”状态变为：{state}{reason}。"


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Why a delivery is unknown (its last_error): the worker died after handing it to the provider.
OUTCOME_UNKNOWN = "worker stopped after handing the message to the provider: perhaps accepted, not sent again"
