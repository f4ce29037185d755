"""Who may see and run a community's representative meetings and councils (pure).

Reads outside the caller's region answer 404 (existence hidden); writes by a reader who may see the
meeting but not run it answer 403.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound

READER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.supervisor)
ORGANISER_ROLES = (Role.community_staff, Role.street_admin)


def check_read(principal: Principal, path: str, what: str) -> None:
    """404 unless the node lies in the caller's region."""
    if not principal.sees_region(path):
        raise NotFound(f"No {what} with that id.", code=f"{what}_not_found")


def may_organise(principal: Principal, path: str) -> bool:
    """Whether the caller runs meetings for the community at path."""
    if principal.role == Role.admin:
        return True
    return principal.role in ORGANISER_ROLES and principal.sees_region(path)


def check_organise(principal: Principal, path: str, what: str) -> None:
    """404 outside the caller's region, 403 for a reader who does not organise."""
    check_read(principal, path, what)
    if not may_organise(principal, path):
        raise Forbidden("Only community or street staff of the community run its meetings.", code="not_organiser")
