"""Who may do what in an evaluation (pure: a principal and paths in, a decision out).

The district admin runs the district's rubrics and campaigns; supervisors read them; street admins read
campaigns and file their street's self-inspection report; evaluators and assessors score what they are
assigned. An assessor's API token may carry a campaign: it then reaches that campaign and nothing else
(403 token_out_of_scope, decided before anything is loaded, so it reveals nothing about other campaigns).
Reads outside the caller's region answer 404; writes the caller may not make answer 403.
"""

import uuid

from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.core.errors import Forbidden, NotFound
from app.programmes.policy import overlaps

MANAGER_ROLES = (Role.district_admin,)
OVERSEER_ROLES = (Role.district_admin, Role.supervisor)
AWARD_REPORT_ROLES = (*OVERSEER_ROLES, Role.assessor)  # assessors: API tokens with reports:read, announced runs
SCORER_ROLES = (Role.evaluator, Role.assessor)
CAMPAIGN_READER_ROLES = (Role.district_admin, Role.street_admin, Role.supervisor, Role.evaluator, Role.assessor)
INSPECTION_READER_ROLES = (Role.district_admin, Role.street_admin, Role.supervisor)
STREET_ROLES = (Role.street_admin,)
RATER_ROLES = (Role.resident,)


def check_manage(principal: Principal, district_path: str) -> None:
    """403 unless the caller is the district's own administrator (or a service admin)."""
    if principal.role == Role.admin:
        return
    if principal.role != Role.district_admin or principal.region_path != district_path:
        raise Forbidden("Only the district's own administrator runs its evaluation.", code="evaluation_forbidden")


def check_oversee(principal: Principal, district_path: str, what: str = "campaign") -> None:
    """404 unless the district lies in (or above) the caller's region."""
    if not overlaps(principal, district_path):
        raise NotFound(f"No {what} with that id.", code=f"{what}_not_found")


def check_token(principal: Principal, campaign_id: uuid.UUID | None, *, write: bool) -> None:
    """An API token needs the scope for the operation and, when bound to a campaign, this campaign."""
    if principal.kind != "token":
        return
    scope = Scope.assessments_write if write else Scope.assessments_read
    if scope.value not in principal.scopes:
        raise Forbidden(f"This token lacks the scope {scope.value}.", code="scope_forbidden")
    if principal.campaign_id is not None and principal.campaign_id != campaign_id:
        raise Forbidden(
            "This API token is bound to another evaluation campaign.",
            code="token_out_of_scope",
            extra={"token_campaign_id": str(principal.campaign_id)},
        )


def assignee_keys(principal: Principal) -> list[str]:
    """The assignee keys the caller scores as: themselves (evaluators) or their organisation (assessors)."""
    if principal.kind == "user" and principal.role == Role.evaluator and principal.user_id:
        return [f"u:{principal.user_id}"]
    if principal.role == Role.assessor and principal.organisation_id:
        return [f"o:{principal.organisation_id}"]
    return []


def check_file_inspection(principal: Principal, street_path: str) -> None:
    """403 unless the caller is the admin of this very street (or a service admin)."""
    if principal.role == Role.admin:
        return
    if principal.role != Role.street_admin or principal.region_path != street_path:
        raise Forbidden(
            "Only the street's own administrator files its self-inspection report.", code="not_street_admin"
        )


def check_read_inspection(principal: Principal, street_path: str) -> None:
    """404 unless the street lies in the caller's region: the district sees every street, a street only itself."""
    if not principal.sees_region(street_path):
        raise NotFound("No self-inspection report with that id.", code="self_inspection_not_found")
