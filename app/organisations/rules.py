"""Pure rules of organisations: the credit code's check character, status changes, membership roles."""

from enum import StrEnum

# GB 32100-2015: 31 characters, the letters I, O, Z, S and V left out so none is mistaken for a digit.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
# Weight of position i (1-based) is 3^(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Registration authority codes (登记管理部门码): 5 is 民政 (civil affairs), where social organisations register.
AUTHORITIES = {"1": "机构编制", "5": "民政", "9": "工商", "Y": "其他"}


class OrganisationStatus(StrEnum):
    """pending (registered, not yet checked) → verified ⇄ suspended."""

    pending = "pending"  # 待核验
    verified = "verified"  # 已核验
    suspended = "suspended"  # 已暂停


class MemberRole(StrEnum):
    """An owner manages the organisation's members and applies for it; a member applies for it."""

    owner = "owner"
    member = "member"


def check_character(first17: str) -> str:
    """The 18th character for the first 17 of a credit code (GB 32100-2015 §4.2)."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why a 统一社会信用代码 is not valid (in Chinese), or None when it is."""
    if len(code) != 18:
        return "统一社会信用代码应为18位。"
    if any(c not in VALUES for c in code):
        return "统一社会信用代码只能含数字和大写字母（不含I、O、Z、S、V）。"
    if code[0] not in AUTHORITIES:
        return "统一社会信用代码的第1位（登记管理部门码）无效。"
    if not code[2:8].isdigit():
        return "统一社会信用代码的第3至8位应为行政区划码（6位数字）。"
    if check_character(code[:17]) != code[17]:
        return "统一社会信用代码的校验码不正确，请核对后重新填写。"
    return None


# Which status change each staff action makes, from which states.
TRANSITIONS = {
    "verify": ({OrganisationStatus.pending}, OrganisationStatus.verified),
    "suspend": ({OrganisationStatus.pending, OrganisationStatus.verified}, OrganisationStatus.suspended),
    "reinstate": ({OrganisationStatus.suspended}, OrganisationStatus.verified),
}


def next_status(action: str, current: OrganisationStatus) -> OrganisationStatus | None:
    """The status after action, or None when action is not possible from current."""
    sources, target = TRANSITIONS[action]
    return target if current in sources else None


def may_apply(status: OrganisationStatus) -> bool:
    """Only a verified organisation applies for projects (公益微创投)."""
    return status == OrganisationStatus.verified


def leaving_problem(role: MemberRole, other_owners: int) -> str | None:
    """Why a member may not leave, or None: an organisation is never left without an owner."""
    if role == MemberRole.owner and other_owners == 0:
        return "机构至少要有一名负责人：请先邀请另一名负责人，再退出。"
    return None
