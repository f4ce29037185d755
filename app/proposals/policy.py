"""Who may see and change which proposals (pure: a principal and a proposal in, a decision out).

Drafts belong to their proposer alone. From submission on, staff of the proposal's region see it;
outside that, reads answer 404 so existence is not revealed. A caller who may see a proposal but not
change it gets 403.
"""

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.proposals.models import Proposal
from app.proposals.rules import Mover

PROPOSER_ROLES = (Role.resident,)
READER_ROLES = (
    Role.community_staff,
    Role.street_admin,
    Role.district_admin,
    Role.finance,
    Role.evaluator,
    Role.supervisor,
)
SCREENER_ROLES = (Role.community_staff, Role.street_admin)
# Staff roles that move proposals along the lifecycle and record survey notes.
STAFF_MOVER_ROLES = {Role.community_staff: Mover.community_staff, Role.street_admin: Mover.street_admin}


def is_proposer(principal: Principal, proposal: Proposal) -> bool:
    """Whether the caller submitted this proposal."""
    return principal.kind == "user" and principal.user_id == proposal.proposer_user_id


def staff_sees(principal: Principal, proposal: Proposal) -> bool:
    """Whether a staff caller sees this proposal: submitted, and inside their region (admins: everywhere)."""
    if proposal.submitted_at is None:
        return False
    if principal.role == Role.admin:
        return True
    return principal.role in READER_ROLES and principal.sees_region(proposal.region_path)


def check_read(principal: Principal, proposal: Proposal) -> None:
    """404 unless the caller is the proposer or staff who see it."""
    if not (is_proposer(principal, proposal) or staff_sees(principal, proposal)):
        raise NotFound("No proposal with that id.", code="proposal_not_found")


def check_edit(principal: Principal, proposal: Proposal) -> None:
    """404 when hidden from the caller, 403 unless the caller is the proposer."""
    check_read(principal, proposal)
    if not is_proposer(principal, proposal):
        raise Forbidden("Only the proposer changes a proposal's content.", code="not_proposer")


def movers_for(principal: Principal, proposal: Proposal) -> frozenset[Mover]:
    """The lifecycle roles the caller holds on this proposal."""
    movers = set()
    if is_proposer(principal, proposal):
        movers.add(Mover.proposer)
    if staff_sees(principal, proposal):
        if principal.role == Role.admin:
            movers |= {Mover.community_staff, Mover.street_admin}
        elif principal.role in STAFF_MOVER_ROLES:
            movers.add(STAFF_MOVER_ROLES[principal.role])
    return frozenset(movers)


def check_staff_write(principal: Principal, proposal: Proposal, what: str) -> None:
    """403 unless the caller is community or street staff of the proposal's region (or an admin)."""
    check_read(principal, proposal)
    if not (movers_for(principal, proposal) - {Mover.proposer}):
        raise Forbidden(f"Only community or street staff of the proposal's region {what}.", code="not_screener")
