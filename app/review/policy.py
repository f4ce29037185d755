"""Who runs, reads and scores a review panel (pure).

Street and district staff of the pilot's region run its panel (the district invites the experts, seed 000);
supervisors read it; experts read and score the panels they sit on. Outside the caller's region: 404."""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound

MANAGER_ROLES = (Role.street_admin, Role.district_admin, Role.admin)
READER_ROLES = (*MANAGER_ROLES, Role.supervisor, Role.evaluator)
EXPERT_ROLES = (Role.evaluator,)


def check_read(principal: Principal, path: str) -> None:
    """404 unless the panel lies in the caller's region (experts are checked against the panel's roster)."""
    if principal.role != Role.evaluator and not principal.sees_region(path):
        raise NotFound("没有该评审委员会。", code="panel_not_found")


def check_manage(principal: Principal, path: str) -> None:
    """404 outside the region, 403 for a reader who does not run reviews."""
    check_read(principal, path)
    if principal.role not in MANAGER_ROLES:
        raise Forbidden("只有街道或区的工作人员可以组织评审。", code="not_review_manager")
