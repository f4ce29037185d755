"""Who may manage which users and tokens, and what a password or token expiry must be (pure)."""

from datetime import datetime, timedelta

from zxcvbn import zxcvbn

from app.auth.models import Role

PASSWORD_MIN = 12
# zxcvbn 0-4: 3 is "safely unguessable" for an online attack (about 10^8 guesses and more).
PASSWORD_MIN_SCORE = 3
# zxcvbn refuses longer input; the score of a prefix is a lower bound of the whole password's.
_ESTIMATE_CHARS = 72
PASSWORD_MAX = 128
API_TOKEN_MAX_LIFETIME = timedelta(days=366)  # a year, leap day included
# Residents sign in with a phone code; every other role is created by staff.
ASSIGNABLE_ROLES = frozenset(Role) - {Role.resident}


def within_scope(actor_role: Role | None, actor_path: str | None, target_path: str | None) -> bool:
    """Whether a node at target_path lies in the actor's region (admins: everywhere)."""
    if actor_role == Role.admin:
        return True
    return bool(actor_path and target_path and target_path.startswith(actor_path))


def may_assign_role(actor_role: Role | None, role: Role) -> bool:
    """Whether the actor may give a user this role: only admins make admins; nobody makes residents."""
    if role not in ASSIGNABLE_ROLES:
        return False
    return actor_role == Role.admin or role != Role.admin


def may_manage_role(actor_role: Role | None, role: Role) -> bool:
    """Whether the actor may edit a user holding this role: only admins edit admins."""
    return actor_role == Role.admin or role != Role.admin


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
        return ("密码太容易被猜到（常见密码、键盘序列、日期、重复，或含用户名、姓名）；请换一个更长、不常见的密码。"
                f"The password is too easy to guess: {hint}")
    return None


def token_expiry_problem(now: datetime, expires_at: datetime) -> str | None:
    """Why an API-token expiry is refused: it must be in the future and at most a year away."""
    if expires_at <= now:
        return "The expiry must be in the future."
    if expires_at - now > API_TOKEN_MAX_LIFETIME:
        return "An API token may live at most one year."
    return None

