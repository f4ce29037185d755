"""Who may do what with an organisation (pure: a principal, an organisation's seat and membership in)."""

from app.auth.models import Role
from app.auth.principal import STAFF_ROLES, Principal
from app.core.errors import Forbidden, NotFound

# Street and district staff verify and suspend the organisations seated in their region.
VERIFIER_ROLES = (Role.street_admin, Role.district_admin)


def is_member(principal: Principal, organisation_id) -> bool:
    """Whether the caller belongs to the organisation now."""
    return principal.kind == "user" and principal.organisation_id == organisation_id


def check_read(principal: Principal, organisation_id) -> None:
    """Staff (who look organisations up by name anyway) and the organisation's own members; 404 otherwise."""
    if principal.role in STAFF_ROLES or is_member(principal, organisation_id):
        return
    raise NotFound("没有这个机构。", code="organisation_not_found")


def check_verifier(principal: Principal, seat_path: str | None) -> None:
    """403 unless street or district staff of the organisation's seat (admins anywhere)."""
    if principal.role == Role.admin:
        return
    if principal.role not in VERIFIER_ROLES or not principal.sees_region(seat_path):
        raise Forbidden("只有机构所在辖区的街道或区级工作人员可以核验、暂停或恢复机构。", code="not_verifier")
