"""What a deletion keeps and how an erased account is named (pure)."""

import uuid
from datetime import datetime, timedelta

from app.auth.models import Role

# What the export names but does not contain, in Chinese: the person is told, not left to guess.
NOT_INCLUDED = [
    "选票内容：选票不记名，服务无法将选票与您关联，投票记录只说明您在哪一轮、以何种方式投过票。",
    "未登录时提交的异议：服务不知道是谁提交的，凭查询码在公示栏查看。",
    "审计记录：以账号编号（假名）记录您做过的操作，按法规保存，不能更改。",
]


def pseudonym(user_id: uuid.UUID) -> str:
    """The name an erased account goes by: tied to nothing but the account's own random id."""
    return f"已注销用户{user_id.hex[:8]}"


def deletion_refusal(role: Role) -> str | None:
    """Why this account may not delete itself, or None. Staff accounts are official records of who acted for
    the community; an administrator deactivates them instead."""
    if role != Role.resident:
        return "工作人员账号不能自行注销，请联系管理员停用。"
    return None


def deletion_message(ballots_unlinked: int, roll_entries: int) -> str:
    """What the resident is told after deleting their account."""
    parts = ["您的账号已注销：手机号、姓名、登录记录和通知已删除，您的提案保留并显示为已注销用户。"]
    if ballots_unlinked:
        parts.append(f"您在{ballots_unlinked}个进行中的投票中的选票仍然计票，但已不再与您关联，无法查看或修改。")
    if roll_entries:
        parts.append(f"您在{roll_entries}个社区居民名册上的登记由社区保管，如需删除请联系社区。")
    return "".join(parts)


def cutoff(now: datetime, days: int) -> datetime:
    """The moment before which a record kept `days` days is due for removal."""
    return now - timedelta(days=days)
