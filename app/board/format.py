"""Pure formatting for the board's pages: money in 元 from integer fen, local times, Chinese labels."""

from datetime import date, datetime

from app.common.money import yuan  # noqa: F401 - the board's templates format money with it
from app.funds.rules import SOURCE_LABELS
from app.notices.rules import SHANGHAI
from app.programmes.enums import CATEGORY_LABELS, PROJECT_TYPE_LABELS

ITEM_STATUS = {
    "under_notice": "公示中",
    "removed": "异议成立，已撤销",
    "back_to_deliberation": "异议成立，退回议事",
    "confirmed": "已确定",
}
OBJECTION_STATUS = {"open": "处理中", "dismissed": "异议不成立", "upheld": "异议成立"}
NOTICE_PHASE = {"upcoming": "未开始", "open": "公示中", "ended": "公示期满", "concluded": "公示结束"}
ROUND_PHASE = {
    "upcoming": "未开始",
    "open": "投票中",
    "ended": "投票已截止，待计票",
    "closed": "已计票",
    "cancelled": "已取消",
}
ALLOCATION_RULE = {
    "greedy": "按得票多少依次资助",
    "mes": "均等份额法（MES）",
    "mes-add1": "均等份额法（MES，逐元追加）",
    "equalshares": "均等份额法（equalshares.net 算法）",
}
PANEL_STATUS = {"open": "评审中", "closed": "评审已结束", "dissolved": "已取消"}
SELECTION_METHOD = {"review": "专家评审", "both": "居民投票与专家评审加权", "vote": "居民投票"}
WINDOW_UNIT = {"working_days": "个工作日", "calendar_days": "个自然日", "until_meeting": "天（至会议召开日）"}


def local(moment: datetime | date | None) -> str:
    """A UTC timestamp as Asia/Shanghai wall time; a date as YYYY-MM-DD."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def label(kind: str, value: object) -> str:
    """The Chinese label of an enum value (project type, category, statuses, ...); the raw value when unknown."""
    table = {
        "type": PROJECT_TYPE_LABELS,
        "category": CATEGORY_LABELS,
        "source": SOURCE_LABELS,
        "item": ITEM_STATUS,
        "objection": OBJECTION_STATUS,
        "phase": NOTICE_PHASE,
        "round": ROUND_PHASE,
        "rule": ALLOCATION_RULE,
        "unit": WINDOW_UNIT,
        "panel": PANEL_STATUS,
        "method": SELECTION_METHOD,
    }[kind]
    key = getattr(value, "value", value)
    return str(table.get(key, key))  # StrEnum keys hash like their str values
