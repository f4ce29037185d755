"""Who may manage which users and tokens, and what a password or token expiry must be (pure)."""

from datetime import datetime, timedelta

from app.auth.models import Role

PASSWORD_MIN = 10
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


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a staff password is refused, or None."""
    if len(password) < PASSWORD_MIN:
        return f"The password must have at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"The password may have at most {PASSWORD_MAX} characters."
    if username and password.casefold() == username.casefold():
        return "The password must differ from the username."
    if len(set(password)) < 4:
        return "The password is too repetitive."
    return None


def token_expiry_problem(now: datetime, expires_at: datetime) -> str | None:
    """Why an API-token expiry is refused: it must be in the future and at most a year away."""
    if expires_at <= now:
        return "The expiry must be in the future."
    if expires_at - now > API_TOKEN_MAX_LIFETIME:
        return "An API token may live at most one year."
    return None

