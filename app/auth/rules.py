"""Who may manage which users and tokens, and what a password or token expiry must be (pure)."""

from datetime import datetime, timedelta

from zxcvbn import zxcvbn

from app.auth.models import Role
from app.regions.rules import is_within

PASSWORD_MIN = 12
# zxcvbn 0-4: 3 is "safely unguessable" for an online attack (about 10^8 guesses and more).
PASSWORD_MIN_SCORE = 3
# zxcvbn refuses longer input; the score of a prefix is a lower bound of the whole password's.
_ESTIMATE_CHARS = 72
PASSWORD_MAX = 128
API_TOKEN_MAX_LIFETIME = timedelta(days=366)  # a year, leap day included
# Residents sign in with a phone code; every other role is created by staff.
ASSIGNABLE_ROLES = frozenset(Role) - {Role.resident}
# Separation of duties: the district admin who commits money may not also make (or reset) the accounts that pay
# it out or audit it, so finance and supervisors are an administrator's to create, change and reset.
ADMIN_ONLY_ROLES = frozenset({Role.admin, Role.finance, Role.supervisor})


def within_scope(actor_role: Role | None, actor_path: str | None, target_path: str | None) -> bool:
    """Whether a node at target_path lies in the actor's region (admins: everywhere)."""
    return actor_role == Role.admin or is_within(target_path, actor_path)


def may_assign_role(actor_role: Role | None, role: Role) -> bool:
    """Whether the actor may give a user this role: only admins make admins, finance and supervisors;
    nobody makes residents."""
    if role not in ASSIGNABLE_ROLES:
        return False
    return may_manage_role(actor_role, role)


def may_manage_role(actor_role: Role | None, role: Role) -> bool:
    """Whether the actor may edit a user holding this role: only admins edit admins, finance and supervisors."""
    return actor_role == Role.admin or role not in ADMIN_ONLY_ROLES


def may_bind_organisation(actor_role: Role | None, actor_path: str | None, organisation_path: str | None) -> bool:
    """Whether the actor may bind a user or token to an organisation seated at organisation_path (None: the
    organisation has no region, it works across districts, so only an admin binds it)."""
    if actor_role == Role.admin:
        return True
    return organisation_path is not None and within_scope(actor_role, actor_path, organisation_path)


def region_problem(role: Role, has_region: bool) -> str | None:
    """Why a role/region combination is refused: admins are global, staff are region-bound."""
    if role == Role.admin and has_region:
        return "An admin is not bound to a region; leave region_id empty."
    if role not in (Role.admin, Role.resident) and not has_region:
        return f"A {role.value} must be bound to a region."
    return None


def password_problem(password: str, username: str | None = None, display_name: str | None = None) -> str | None:
    """Why a staff password is refused, or None: too short or long, or guessable by zxcvbn's estimate (common
    passwords, keyboard runs, dates, repeats, and the user's own name and username)."""
    if len(password) < PASSWORD_MIN:
        return f"密码至少需要 {PASSWORD_MIN} 个字符。The password must have at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"密码最多 {PASSWORD_MAX} 个字符。The password may have at most {PASSWORD_MAX} characters."
    user_inputs = [text for text in (username, display_name) if text]
    estimate = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=user_inputs)
    if estimate["score"] < PASSWORD_MIN_SCORE:
        hint = estimate["feedback"].get("warning") or "It is too easy to guess."
        return (
            "密码太容易被猜到（常见密码、键盘序列、日期、重复，或含用户名、姓名）；请换一个更长、不常见的密码。"
            f"The password is too easy to guess: {hint}"
        )
    return None


def token_expiry_problem(now: datetime, expires_at: datetime) -> str | None:
    """Why an API-token expiry is refused: it must be in the future and at most a year away."""
    if expires_at <= now:
        return "The expiry must be in the future."
    if expires_at - now > API_TOKEN_MAX_LIFETIME:
        return "An API token may live at most one year."
    return None


ROLE_LABELS = {
    Role.resident: "居民",
    Role.community_staff: "社区工作者",
    Role.street_admin: "街道管理员",
    Role.district_admin: "区管理员",
    Role.finance: "财务",
    Role.evaluator: "评审专家",
    Role.assessor: "第三方评估机构人员",
    Role.supervisor: "居务监督委员会成员",
    Role.admin: "系统管理员",
}
CHANGE_LABELS = {"role": "角色", "region": "所属区域", "organisation": "所属机构"}


def account_change_message(
    changes: dict[str, tuple[str | None, str | None]], password_reset: bool, changed_by: str
) -> str | None:
    """What the user is told of changes someone made to their account (labels already readable), or None."""
    parts = [
        f"{CHANGE_LABELS[field]}由「{before or '无'}」改为「{after or '无'}」"
        for field, (before, after) in changes.items()
    ]
    if password_reset:
        parts.append("密码已被重置")
    if not parts:
        return None
    return f"您的账号有变更：{'；'.join(parts)}。操作人：{changed_by}。如非您本人知晓，请立即联系管理员。"
