"""Who may run and read a community's voter roll and voting rounds (pure).

Community and street staff of the community run them; district admins and the supervisory committee
read. Reads outside the caller's region answer 404 (existence hidden); a reader who tries to run
something gets 403.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound

READER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.supervisor, Role.admin)
ORGANISER_ROLES = (Role.community_staff, Role.street_admin, Role.admin)


def check_read(principal: Principal, path: str, what: str) -> None:
    """404 unless the node lies in the caller's region."""
    if not principal.sees_region(path):
        raise NotFound(f"No {what} with that id.", code=f"{what}_not_found")


def check(principal: Principal, path: str, what: str, *, organise: bool) -> None:
    """check_organise when the caller wants to run the thing, else check_read."""
    (check_organise if organise else check_read)(principal, path, what)


def check_organise(principal: Principal, path: str, what: str) -> None:
    """404 outside the caller's region, 403 for a reader who does not run votes."""
    check_read(principal, path, what)
    if principal.role not in ORGANISER_ROLES:
        raise Forbidden(
            "Only community or street staff of the community run its voter roll and votes.", code="not_vote_organiser"
        )
