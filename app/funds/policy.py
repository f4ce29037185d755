"""Who may move which money (pure: a principal, a kind and a path in, a decision out).

Writes outside the caller's region answer 403; reads of a specific pilot, project or entry answer 404.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.funds.models import FundSourceKind, LedgerKind
from app.regions.rules import overlaps

WRITER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.finance)
READER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.finance, Role.supervisor)
REPORT_ROLES = (Role.finance, Role.supervisor, Role.district_admin, Role.street_admin)
# Money reaches projects by confirmation after notice; committing outside it (an emergency project decided by
# the community's representative meeting or a district document) is the district's call alone.
DIRECT_COMMITTERS = (Role.district_admin,)

# The district funds its subsidy, the street its matching funds; other sources are recorded where they arise.
_SOURCE_WRITERS = {
    FundSourceKind.district_subsidy: (Role.district_admin,),
    FundSourceKind.street_matching: (Role.street_admin,),
    FundSourceKind.carry_over: (),  # written by year end only
    FundSourceKind.award_subsidy: (),  # written when an award list is made final
}
_OTHER_SOURCE_WRITERS = (Role.community_staff, Role.street_admin, Role.district_admin)
# Direct commitments are the district's; finance pays out and takes money back.
_KIND_WRITERS = {
    LedgerKind.commitment: DIRECT_COMMITTERS,
    LedgerKind.disbursement: (Role.finance,),
    LedgerKind.return_: (Role.finance,),
}


def writers(kind: LedgerKind, source_kind: FundSourceKind | None = None) -> tuple[Role, ...]:
    """Roles that may write an entry of kind (for funds in: from a source of source_kind)."""
    if kind == LedgerKind.funds_in:
        return _SOURCE_WRITERS.get(source_kind, _OTHER_SOURCE_WRITERS)
    return _KIND_WRITERS.get(kind, ())


def check_write(
    principal: Principal, kind: LedgerKind, pilot_path: str, source_kind: FundSourceKind | None = None
) -> None:
    """403 unless the caller's role may write this kind and the pilot lies in their region."""
    if principal.role == Role.admin:
        return
    if principal.role not in writers(kind, source_kind):
        what = f"{kind.value} from {source_kind.value}" if source_kind else kind.value
        raise Forbidden(f"Your role may not record {what}.", code="ledger_role_forbidden")
    if not principal.sees_region(pilot_path):
        raise Forbidden("This pilot is outside your region.", code="out_of_region")


def check_reverse(
    principal: Principal, kind: LedgerKind, pilot_path: str, source_kind: FundSourceKind | None = None
) -> None:
    """Whoever may write an entry may reverse it; the district administrator may reverse any in the district."""
    if principal.role == Role.district_admin and principal.sees_region(pilot_path):
        return
    check_write(principal, kind, pilot_path, source_kind)


def check_read(principal: Principal, path: str, what: str = "pilot") -> None:
    """404 unless the pilot at path is in, or contains, the caller's region."""
    if principal.role == Role.admin:
        return
    if not overlaps(path, principal.region_path):
        raise NotFound(f"No {what} with that id.", code=f"{what}_not_found")
