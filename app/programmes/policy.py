"""Who may manage programmes and designate pilots (pure: a principal and paths in, a decision out).

Writes outside the caller's region answer 403; reads of a specific programme or pilot answer 404.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.regions import rules as region_rules

READER_ROLES = (
    Role.community_staff,
    Role.street_admin,
    Role.district_admin,
    Role.finance,
    Role.evaluator,
    Role.supervisor,
)
MANAGER_ROLES = (Role.district_admin,)
DESIGNATOR_ROLES = (Role.street_admin,)


def overlaps(principal: Principal, path: str) -> bool:
    """Whether path is above, at or below the principal's node (admins: always)."""
    return principal.role == Role.admin or region_rules.overlaps(path, principal.region_path)


def check_manage(principal: Principal, district_path: str) -> None:
    """403 unless the caller is the district's own admin (or a service admin)."""
    if principal.role == Role.admin:
        return
    if principal.role != Role.district_admin or principal.region_path != district_path:
        raise Forbidden("Only the district's own administrator manages its programme.", code="programme_forbidden")


def check_designate(principal: Principal, community_path: str) -> None:
    """403 unless the caller is the admin of the street the community belongs to."""
    if principal.role == Role.admin:
        return
    if principal.role != Role.street_admin or not principal.sees_region(community_path):
        raise Forbidden(
            "A street administrator designates only communities of their own street.", code="pilot_forbidden"
        )


def check_read(principal: Principal, path: str, what: str) -> None:
    """404 unless the node at path is above, at or below the caller's region."""
    if not overlaps(principal, path):
        raise NotFound(f"No {what} with that id.", code=f"{what}_not_found")
