"""Who may read and change which region nodes (pure: a principal and paths in, a decision out).

Reads outside a principal's subtree answer 404 so that existence is not revealed; writes answer
403, because the writer already named the node (or its parent) and needs to know why it failed.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.regions.models import Region, RegionLevel
from app.regions.rules import is_within

READER_ROLES = (
    Role.community_staff,
    Role.street_admin,
    Role.district_admin,
    Role.finance,
    Role.evaluator,
    Role.supervisor,
)
WRITER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin)
IMPORTER_ROLES = (Role.district_admin,)


def read_scope(principal: Principal) -> str | None:
    """The path prefix this principal may read; None means everything (admin)."""
    if principal.role == Role.admin:
        return None
    if not principal.region_path:
        raise Forbidden("Your account is not bound to a region.", code="no_region")
    return principal.region_path


def check_read(principal: Principal, region: Region) -> None:
    """404 unless the node lies inside the principal's subtree."""
    scope = read_scope(principal)
    if scope is not None and not is_within(region.path, scope):
        raise NotFound(f"No region {region.id}.", code="region_not_found")


def check_create(principal: Principal, parent: Region | None) -> None:
    """403 unless the principal may add a node under parent (None: a new district)."""
    if principal.role == Role.admin:
        return
    if parent is None:
        raise Forbidden("Only an administrator creates districts.", code="region_forbidden")
    if not is_within(parent.path, principal.region_path):
        raise Forbidden("The parent region is outside your region.", code="region_forbidden")


def check_edit(principal: Principal, region: Region) -> None:
    """403 unless the principal may change the node: staff edit what lies below their own node."""
    if principal.role == Role.admin:
        return
    # Your own node (your street, your community) belongs to the level above you, as its creation did.
    if region.path == principal.region_path or not is_within(region.path, principal.region_path):
        raise Forbidden("This region is outside what you may change.", code="region_forbidden")


def check_import(principal: Principal, district: Region | None, district_name: str) -> None:
    """403 unless the principal may import this district's tree (admin: any; district admin: their own)."""
    if principal.role == Role.admin:
        return
    own = district is not None and district.level == RegionLevel.district and district.id == principal.region_id
    if not own:
        raise Forbidden(
            f"You may import only your own district's tree; the file names {district_name}.", code="region_forbidden"
        )
