"""SQL for "district-level rows the caller may read": the row's district is at, above or below their node."""

from sqlalchemy import Select, false, literal, or_

from app.auth.models import Role
from app.auth.principal import Principal


def overlapping(stmt: Select, principal: Principal, path_column) -> Select:
    """Narrow stmt to rows whose path lies in the caller's region or above it (admins: no filter)."""
    if principal.role == Role.admin:
        return stmt
    own = principal.region_path
    if not own:
        return stmt.where(false())
    return stmt.where(or_(path_column.startswith(own, autoescape=True), literal(own).startswith(path_column)))
