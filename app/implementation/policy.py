"""Who reviews a project under way (pure): the street or district above the community that runs it.

Community staff record what happened (self-evaluations, acceptance, closure); the verdict of a mid-term
review and the termination of a project come from a level above, so nobody approves their own work.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.voting import policy

REVIEWER_ROLES = (Role.street_admin, Role.district_admin, Role.admin)


def check_review(principal: Principal, path: str) -> None:
    """404 outside the caller's region, 403 unless street or district staff."""
    policy.check_read(principal, path, "implementation")
    if principal.role not in REVIEWER_ROLES:
        raise Forbidden("Only street or district staff review and terminate projects.", code="not_reviewer")
