"""Issue #2: every route of the app, called anonymously and as every role, against a written decision.

EXPECTED below is the decision record: for each route, PUBLIC (no login needed) or the roles that get
past its role gate. It is written out by hand from the routers, their `require_roles(...)` gates and
the policies in app/*/policy.py, and deliberately not computed from the code: a route added without
an entry here fails `test_every_route_has_a_decision`, and a gate that drifts from the decision fails
`test_access_matrix`.

What "allowed" means: the caller gets past authentication and the role gate. The route may still
answer 404, 409 or 422 (ids that do not exist, an empty body, region and state rules in the
services); only 401 and 403 count as refusals. Denied roles must get the gate's 403, or the 404 of a
service that hides a resource's existence from them, where the table says so (`denied_status=404`).
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.routing import APIRoute

from app.audit.service import SYSTEM
from app.auth.models import OrganisationKind, Role
from app.auth.scopes import Scope
from app.auth.tokens_service import issue_api_token
from app.common.models import utcnow
from app.core.config import Settings
from app.main import create_app
from app.programmes.enums import ProjectCategory, ProjectType
from app.proposals.enums import ProposalKind, ProposerKind
from app.proposals.models import Proposal
from tests.factories import Tree, add_organisation, add_user, bearer, make_tree, user_for

API = "/api/v1"
R, CS, SA, DA, FI, EV, AS, SU, AD = (
    Role.resident,
    Role.community_staff,
    Role.street_admin,
    Role.district_admin,
    Role.finance,
    Role.evaluator,
    Role.assessor,
    Role.supervisor,
    Role.admin,
)


@dataclass(frozen=True)
class Decision:
    """Who may call a route: anyone (roles None), or these roles; the others get denied_status."""

    roles: frozenset[Role] | None
    denied_status: int = 403

    def allows(self, role: Role | None) -> bool:
        return self.roles is None or (role is not None and role in self.roles)


def allow(*roles: Role, denied_status: int = 403) -> Decision:
    return Decision(frozenset(roles), denied_status)


PUBLIC = Decision(None)
# Any signed-in caller, API tokens included: no role gate, the service decides what they may touch.
SIGNED_IN = allow(R, CS, SA, DA, FI, EV, AS, SU, AD)
# Every staff role (not residents, not assessors' API tokens).
STAFF = allow(CS, SA, DA, FI, EV, SU, AD)
DISTRICT = allow(DA, AD)
# Proposals have no role gate: the proposer and staff of the proposal's region see it, everyone else
# gets 404 (app/proposals/policy.py check_read). Nothing makes an assessor either, so they always get 404.
PROPOSAL_READERS = allow(R, CS, SA, DA, FI, EV, SU, AD, denied_status=404)

EXPECTED: dict[tuple[str, str], Decision] = {
    # --- health: probes for the load balancer and orchestrator -------------------------------------
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # --- API documentation, with Swagger UI and ReDoc served by the service itself (fastapi-offline) ---------
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # --- auth: logging in is public; logout and who-am-I need a credential ---------------------------
    ("POST", f"{API}/auth/token"): PUBLIC,
    ("POST", f"{API}/auth/login"): PUBLIC,
    ("POST", f"{API}/auth/refresh"): PUBLIC,
    ("POST", f"{API}/auth/logout"): SIGNED_IN,  # API tokens get 400: they are revoked, not logged out
    ("GET", f"{API}/auth/me"): SIGNED_IN,
    ("GET", f"{API}/auth/me/notices"): SIGNED_IN,  # one's own account notices; a token has none
    # --- a person's own data: any user (an API token is an organisation's: 403); deletion residents only
    ("GET", f"{API}/me/data"): allow(R, CS, SA, DA, FI, EV, SU, AD),
    ("POST", f"{API}/me/deletion"): allow(R),
    ("POST", f"{API}/auth/otp/request"): PUBLIC,
    ("POST", f"{API}/auth/otp/verify"): PUBLIC,
    ("POST", f"{API}/auth/wechat/mini-program"): PUBLIC,  # 503 wechat_not_configured when no app id is set
    # --- users: district admins manage staff of their district, street admins read theirs ------------
    ("POST", f"{API}/users"): DISTRICT,
    ("GET", f"{API}/users"): allow(SA, DA, AD),
    ("GET", f"{API}/users/{{user_id}}"): allow(SA, DA, AD),
    ("PATCH", f"{API}/users/{{user_id}}"): DISTRICT,
    # --- organisations: district admins register, any staff member looks up ------------------------
    ("POST", f"{API}/organisations"): DISTRICT,
    ("GET", f"{API}/organisations"): STAFF,
    # --- social organisations (issue 27): residents register theirs and manage members; street and district
    # --- staff verify; staff and evaluators read the track record; the rest is decided by membership (404) --
    ("POST", f"{API}/organisations/register"): allow(R, AD),
    ("GET", f"{API}/organisations/{{organisation_id}}"): SIGNED_IN,  # staff and members; others 404
    ("GET", f"{API}/organisations/{{organisation_id}}/record"): STAFF,
    ("POST", f"{API}/organisations/{{organisation_id}}/verify"): allow(SA, DA, AD),
    ("POST", f"{API}/organisations/{{organisation_id}}/suspend"): allow(SA, DA, AD),
    ("POST", f"{API}/organisations/{{organisation_id}}/reinstate"): allow(SA, DA, AD),
    ("POST", f"{API}/organisations/{{organisation_id}}/documents"): SIGNED_IN,  # owner or verifier (policy)
    ("GET", f"{API}/organisations/{{organisation_id}}/documents"): SIGNED_IN,
    ("GET", f"{API}/organisation-documents/{{document_id}}/content"): SIGNED_IN,
    ("GET", f"{API}/organisations/{{organisation_id}}/members"): SIGNED_IN,
    ("POST", f"{API}/organisations/{{organisation_id}}/invitations"): allow(R, AD),  # then owners only
    ("GET", f"{API}/organisation-invitations"): allow(R, AD),
    ("POST", f"{API}/organisation-invitations/{{invitation_id}}/accept"): allow(R, AD),
    ("POST", f"{API}/organisations/{{organisation_id}}/leave"): allow(R, AD),
    ("GET", f"{API}/public/organisations"): PUBLIC,
    ("GET", f"{API}/public/organisations/{{organisation_id}}"): PUBLIC,
    # --- API tokens for third-party assessors: district admins issue, list and revoke ---------------
    ("POST", f"{API}/api-tokens"): DISTRICT,
    ("GET", f"{API}/api-tokens"): DISTRICT,
    ("POST", f"{API}/api-tokens/{{token_id}}/revoke"): DISTRICT,
    # --- regions: staff read their subtree (404 outside), community staff and up edit below their node
    ("POST", f"{API}/regions"): allow(CS, SA, DA, AD),
    ("GET", f"{API}/regions"): STAFF,
    ("GET", f"{API}/regions/{{region_id}}"): STAFF,
    ("GET", f"{API}/regions/{{region_id}}/tree"): STAFF,
    ("PATCH", f"{API}/regions/{{region_id}}"): allow(CS, SA, DA, AD),
    ("POST", f"{API}/regions/import"): DISTRICT,  # the service further limits a district admin to their own
    ("GET", f"{API}/public/regions"): PUBLIC,  # community picker for residents
    # --- programmes and pilots: the district admin runs the programme, street admins designate pilots
    ("POST", f"{API}/programmes"): DISTRICT,
    ("GET", f"{API}/programmes"): STAFF,
    ("GET", f"{API}/programmes/{{programme_id}}"): STAFF,
    ("PATCH", f"{API}/programmes/{{programme_id}}"): DISTRICT,
    ("GET", f"{API}/programmes/{{programme_id}}/opening-check"): STAFF,
    ("POST", f"{API}/programmes/{{programme_id}}/open"): DISTRICT,
    ("POST", f"{API}/programmes/{{programme_id}}/close"): DISTRICT,
    ("POST", f"{API}/programmes/{{programme_id}}/year-end"): DISTRICT,
    ("POST", f"{API}/programmes/{{programme_id}}/pilots"): allow(SA, AD),
    ("GET", f"{API}/programmes/{{programme_id}}/pilots"): STAFF,
    ("GET", f"{API}/pilots/{{pilot_id}}"): STAFF,
    # --- funds: money-handling staff write (app/funds/policy.py then decides by entry kind), evaluators
    # --- do not see the ledger; supervisors read it. The community summary is public (居务公开). ------
    ("POST", f"{API}/pilots/{{pilot_id}}/fund-sources"): allow(CS, SA, DA, FI, AD),
    ("GET", f"{API}/pilots/{{pilot_id}}/fund-sources"): allow(CS, SA, DA, FI, SU, AD),
    ("POST", f"{API}/fund-sources/{{source_id}}/funds-in"): allow(CS, SA, DA, FI, AD),
    # direct commitments (直接安排, outside vote and notice) are the district's alone
    ("POST", f"{API}/pilots/{{pilot_id}}/commitments"): DISTRICT,
    ("POST", f"{API}/funds/projects/{{project_id}}/disbursements"): allow(CS, SA, DA, FI, AD),
    ("POST", f"{API}/funds/projects/{{project_id}}/returns"): allow(CS, SA, DA, FI, AD),
    ("POST", f"{API}/funds/ledger/{{entry_id}}/reversal"): allow(CS, SA, DA, FI, AD),
    ("GET", f"{API}/pilots/{{pilot_id}}/ledger"): allow(CS, SA, DA, FI, SU, AD),
    ("GET", f"{API}/pilots/{{pilot_id}}/balance"): allow(CS, SA, DA, FI, SU, AD),
    ("GET", f"{API}/funds/projects/{{project_id}}"): allow(CS, SA, DA, FI, SU, AD),
    ("GET", f"{API}/funds/reports"): allow(SA, DA, FI, SU, AD),
    ("GET", f"{API}/funds/reports/projects"): allow(SA, DA, FI, SU, AD),
    ("GET", f"{API}/public/communities/{{community_id}}/finances"): PUBLIC,
    ("POST", f"{API}/allocation/what-if"): allow(CS, SA, DA, FI, SU, AD),  # staff who plan money; stores nothing
    # --- proposals: residents propose; staff of the region read; community and street staff screen --
    ("POST", f"{API}/proposals"): allow(R, AD),
    ("GET", f"{API}/proposals"): allow(R, CS, SA, DA, FI, EV, SU, AD),  # residents: their own
    ("GET", f"{API}/proposals/{{proposal_id}}"): PROPOSAL_READERS,
    ("PATCH", f"{API}/proposals/{{proposal_id}}"): PROPOSAL_READERS,  # then only the proposer (403 for staff)
    ("POST", f"{API}/proposals/{{proposal_id}}/submit"): PROPOSAL_READERS,
    ("GET", f"{API}/proposals/{{proposal_id}}/transitions"): PROPOSAL_READERS,
    # An empty body is refused (422) before the policy's 404, so this records only that there is no gate.
    ("POST", f"{API}/proposals/{{proposal_id}}/transitions"): SIGNED_IN,
    ("GET", f"{API}/screening/negative-list"): SIGNED_IN,  # residents read it while drafting
    ("GET", f"{API}/screening/caps"): SIGNED_IN,
    ("POST", f"{API}/proposals/{{proposal_id}}/screenings"): allow(CS, SA, AD),
    ("GET", f"{API}/proposals/{{proposal_id}}/screenings"): PROPOSAL_READERS,
    ("POST", f"{API}/proposals/{{proposal_id}}/survey-notes"): allow(CS, SA, AD),
    ("GET", f"{API}/proposals/{{proposal_id}}/survey-notes"): PROPOSAL_READERS,
    # Attachments: no gate either; the proposal's policy (and its state, for uploads) decides.
    ("POST", f"{API}/proposals/{{proposal_id}}/attachments"): SIGNED_IN,  # empty body: 422 before the policy
    ("GET", f"{API}/proposals/{{proposal_id}}/attachments"): PROPOSAL_READERS,
    ("GET", f"{API}/proposal-attachments/{{attachment_id}}/content"): PROPOSAL_READERS,
    ("DELETE", f"{API}/proposal-attachments/{{attachment_id}}"): PROPOSAL_READERS,
    # Assisted intake: community and street staff enter for a named resident, who claims it by phone.
    ("POST", f"{API}/assisted-proposals"): allow(CS, SA, AD),
    ("GET", f"{API}/claimable-proposals"): allow(R, AD),
    ("POST", f"{API}/proposals/{{proposal_id}}/claim"): allow(R, AD),
    ("GET", f"{API}/public/proposals"): PUBLIC,
    ("GET", f"{API}/public/proposals/{{proposal_id}}"): PUBLIC,
    # --- representative meetings: community and street staff organise; district admins and the
    # --- supervisory committee read (finance, evaluators and residents do not) --------------------
    ("POST", f"{API}/communities/{{community_id}}/representatives"): allow(CS, SA, AD),
    ("GET", f"{API}/communities/{{community_id}}/representatives"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/representatives/{{representative_id}}/retire"): allow(CS, SA, AD),
    ("POST", f"{API}/communities/{{community_id}}/meetings"): allow(CS, SA, AD),
    ("GET", f"{API}/meetings"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/meetings/{{meeting_id}}"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/meetings/{{meeting_id}}/quorum"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/cancel"): allow(CS, SA, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/open"): allow(CS, SA, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/close"): allow(CS, SA, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/sign-ins"): allow(CS, SA, AD),
    ("GET", f"{API}/meetings/{{meeting_id}}/sign-ins"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/motions"): allow(CS, SA, AD),
    ("GET", f"{API}/meetings/{{meeting_id}}/motions"): allow(CS, SA, DA, SU, AD),
    # No gate: the meeting's organisers record votes, or the representative signs their own
    # (app/deliberation/sittings_service.py _check_voter: 404 outside the region, 403 otherwise).
    ("POST", f"{API}/motions/{{motion_id}}/votes"): SIGNED_IN,
    ("GET", f"{API}/motions/{{motion_id}}/votes"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/motions/{{motion_id}}/decision"): allow(CS, SA, AD),
    ("GET", f"{API}/meetings/{{meeting_id}}/minutes"): allow(CS, SA, DA, SU, AD),
    # --- deliberation councils: staff organise, residents register themselves ----------------------
    ("POST", f"{API}/communities/{{community_id}}/councils"): allow(CS, SA, AD),
    ("GET", f"{API}/councils"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/councils/{{council_id}}"): allow(CS, SA, DA, SU, AD),
    # Residents on the community's roll (the matrix's resident is on a1's); admins pass the gate but are on no
    # roll, so the service refuses them (403 not_on_roll, issue 24).
    ("POST", f"{API}/councils/{{council_id}}/registrations"): allow(R),
    ("POST", f"{API}/councils/{{council_id}}/participants/{{participant_id}}/group-decision"): allow(CS, SA, AD),
    ("POST", f"{API}/councils/{{council_id}}/invitations"): allow(CS, SA, AD),
    ("GET", f"{API}/councils/{{council_id}}/participants"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/councils/{{council_id}}/selection"): allow(CS, SA, AD),
    ("GET", f"{API}/deliberation/reports/meeting-gaps"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/public/meetings"): PUBLIC,
    ("GET", f"{API}/public/meetings/{{meeting_id}}"): PUBLIC,
    ("GET", f"{API}/public/councils"): PUBLIC,
    # --- voter roll and voting rounds: community and street staff run them, district admins and the
    # --- supervisory committee read; residents vote (their roll entry decides where) -----------------
    ("POST", f"{API}/communities/{{community_id}}/voter-roll/import"): allow(CS, SA, AD),
    ("POST", f"{API}/communities/{{community_id}}/voter-roll"): allow(CS, SA, AD),
    ("GET", f"{API}/communities/{{community_id}}/voter-roll"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/voter-roll/{{entry_id}}/removal"): allow(CS, SA, AD),
    ("POST", f"{API}/pilots/{{pilot_id}}/voting-rounds"): allow(CS, SA, AD),
    ("GET", f"{API}/voting/rounds"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/voting/rounds/{{round_id}}"): allow(CS, SA, DA, SU, AD),
    ("PATCH", f"{API}/voting/rounds/{{round_id}}"): allow(CS, SA, AD),
    ("POST", f"{API}/voting/rounds/{{round_id}}/cancel"): allow(CS, SA, AD),
    ("POST", f"{API}/voting/rounds/{{round_id}}/close"): allow(CS, SA, AD),
    ("GET", f"{API}/voting/rounds/{{round_id}}/result"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/voting/rounds/{{round_id}}/paper-ballots"): allow(CS, SA, AD),
    ("GET", f"{API}/voting/my-rounds"): allow(R, AD),
    ("POST", f"{API}/voting/rounds/{{round_id}}/ballots"): allow(R, AD),
    ("GET", f"{API}/voting/rounds/{{round_id}}/my-ballot"): allow(R, AD),
    ("GET", f"{API}/public/voting/rounds"): PUBLIC,
    ("GET", f"{API}/public/voting/rounds/{{round_id}}"): PUBLIC,
    ("GET", f"{API}/public/voting/rounds/{{round_id}}/result"): PUBLIC,
    ("GET", f"{API}/public/voting/rounds/{{round_id}}/ballots.pb"): PUBLIC,
    ("GET", f"{API}/public/voting/receipts/{{code}}"): PUBLIC,
    # --- notices and objections: vote organisers publish, answer and confirm; anyone objects ---------
    ("POST", f"{API}/voting/rounds/{{round_id}}/notice"): allow(CS, SA, AD),
    ("POST", f"{API}/meetings/{{meeting_id}}/notice"): allow(CS, SA, AD),
    ("GET", f"{API}/notices"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/notices/{{notice_id}}"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/notices/{{notice_id}}/conclude"): allow(CS, SA, AD),
    ("PATCH", f"{API}/notice-items/{{item_id}}"): allow(CS, SA, AD),
    ("POST", f"{API}/notice-items/{{item_id}}/confirmation"): allow(CS, SA, AD),
    ("GET", f"{API}/objections"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/objections/{{objection_id}}/decision"): allow(CS, SA, AD),
    ("PUT", f"{API}/calendars/{{year}}"): DISTRICT,
    ("GET", f"{API}/calendars/{{year}}"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/public/notices"): PUBLIC,
    ("GET", f"{API}/public/notices/{{notice_id}}"): PUBLIC,
    ("POST", f"{API}/public/notices/{{notice_id}}/objections"): PUBLIC,
    ("GET", f"{API}/public/objections/{{tracking_code}}"): PUBLIC,
    # --- public notice board: HTML pages outside the API document (居务公开), no login ----------------
    ("GET", "/board"): PUBLIC,
    ("GET", "/board/static/board.css"): PUBLIC,
    ("GET", "/board/organisations"): PUBLIC,
    ("GET", "/board/organisations/{organisation_id}"): PUBLIC,
    ("GET", "/board/notices/{notice_id}"): PUBLIC,
    ("POST", "/board/notices/{notice_id}/objections"): PUBLIC,
    ("GET", "/board/objections/{tracking_code}"): PUBLIC,
    ("GET", "/board/rounds/{round_id}"): PUBLIC,
    ("GET", "/board/reviews/{panel_id}"): PUBLIC,
    ("GET", "/board/communities/{community_id}/finances"): PUBLIC,
    ("GET", "/board/projects/{proposal_id}"): PUBLIC,
    ("GET", "/board/text-size"): PUBLIC,  # 大字版: a cookie, then back to a board page
    ("GET", "/board/dashboards/{region_id}"): PUBLIC,
    ("GET", "/board/dashboards/{region_id}/{chart}.svg"): PUBLIC,
    # --- what everyone may read: aggregates, open data, project signs (no personal data) ------------------
    ("GET", f"{API}/public/dashboards/{{region_id}}"): PUBLIC,
    ("GET", f"{API}/public/open-data/{{district_id}}/{{year}}.zip"): PUBLIC,
    ("GET", f"{API}/public/projects/{{proposal_id}}/sign.svg"): PUBLIC,
    ("GET", f"{API}/public/projects/{{proposal_id}}/sign.png"): PUBLIC,
    # --- implementation: vote organisers run it; readers follow it; the public sees progress ---------
    ("POST", f"{API}/projects/{{proposal_id}}/implementation"): allow(CS, SA, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/implementation"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/milestones/{{milestone_id}}/done"): allow(CS, SA, AD),
    ("POST", f"{API}/projects/{{proposal_id}}/progress"): allow(CS, SA, AD),
    ("GET", f"{API}/implementation/overdue-milestones"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/public/projects/{{proposal_id}}/progress"): PUBLIC,
    ("GET", f"{API}/public/progress-photos/{{attachment_id}}"): PUBLIC,
    ("POST", f"{API}/projects/{{proposal_id}}/expenditures"): allow(CS, SA, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/expenditures"): allow(CS, SA, DA, SU, AD),
    ("GET", f"{API}/public/projects/{{proposal_id}}/expenditures"): PUBLIC,
    # finance pays instalments; money readers follow them; the public sees payments, changes and closure
    ("POST", f"{API}/projects/{{proposal_id}}/disbursements"): allow(FI, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/disbursements"): allow(CS, SA, DA, FI, SU, AD),
    ("GET", f"{API}/public/projects/{{proposal_id}}/disbursements"): PUBLIC,
    ("POST", f"{API}/projects/{{proposal_id}}/budget-changes"): allow(CS, SA, AD),
    ("POST", f"{API}/budget-changes/{{change_id}}/decision"): allow(CS, SA, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/budget-changes"): allow(CS, SA, DA, FI, SU, AD),
    ("GET", f"{API}/public/projects/{{proposal_id}}/budget-changes"): PUBLIC,
    # community staff record the stages; the street or district reviews and terminates
    ("POST", f"{API}/milestones/{{milestone_id}}/waive"): allow(CS, SA, AD),
    ("POST", f"{API}/projects/{{proposal_id}}/mid-term-reviews"): allow(CS, SA, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/mid-term-reviews"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/mid-term-reviews/{{review_id}}/decision"): allow(SA, DA, AD),
    ("POST", f"{API}/projects/{{proposal_id}}/acceptances"): allow(CS, SA, AD),
    ("GET", f"{API}/projects/{{proposal_id}}/acceptances"): allow(CS, SA, DA, SU, AD),
    ("POST", f"{API}/projects/{{proposal_id}}/closure"): allow(CS, SA, AD),
    ("POST", f"{API}/projects/{{proposal_id}}/termination"): allow(SA, DA, AD),
    ("GET", f"{API}/public/projects/{{proposal_id}}/closure"): PUBLIC,
    # --- awards: the district computes, approves, publishes and finalises; overseers read -------------
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/award-runs"): DISTRICT,
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/award-runs"): allow(DA, SU, AD),
    ("GET", f"{API}/award-runs/{{run_id}}"): allow(DA, SU, AD),
    ("GET", f"{API}/award-runs/{{run_id}}/inputs"): allow(DA, SU, AD),
    ("GET", f"{API}/award-runs/{{run_id}}/verification"): allow(DA, SU, AD),
    ("GET", f"{API}/award-runs/{{run_id}}/report"): allow(DA, SU, AS, AD),  # API tokens with reports:read
    ("GET", f"{API}/award-runs/{{run_id}}/grade-chart.svg"): allow(DA, SU, AD),
    ("POST", f"{API}/award-runs/{{run_id}}/approval"): DISTRICT,
    ("POST", f"{API}/award-runs/{{run_id}}/discard"): DISTRICT,
    ("POST", f"{API}/award-runs/{{run_id}}/publication"): DISTRICT,
    ("POST", f"{API}/award-runs/{{run_id}}/objections/{{objection_id}}/decision"): DISTRICT,
    ("POST", f"{API}/award-runs/{{run_id}}/finalisation"): DISTRICT,
    ("POST", f"{API}/award-runs/{{run_id}}/subsidies/{{proposal_id}}/payments"): allow(FI, AD),  # finance pays
    # --- evaluation: the district admin runs rubrics, campaigns and assignments; supervisors follow; street
    # --- admins read campaigns and file their street's self-inspection report; evaluators and assessors
    # --- (users, or API tokens held to their campaign) score what they are assigned; residents rate ----------
    ("POST", f"{API}/evaluation/rubrics"): DISTRICT,
    ("GET", f"{API}/evaluation/rubrics"): allow(DA, SU, AD),
    ("GET", f"{API}/evaluation/rubrics/{{rubric_id}}"): allow(DA, SU, AD),
    ("POST", f"{API}/evaluation/rubrics/{{rubric_id}}/versions"): DISTRICT,
    ("POST", f"{API}/evaluation/campaigns"): DISTRICT,
    ("GET", f"{API}/evaluation/campaigns"): allow(DA, SA, SU, EV, AS, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}"): allow(DA, SA, SU, EV, AS, AD),
    ("PATCH", f"{API}/evaluation/campaigns/{{campaign_id}}"): DISTRICT,
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/projects"): allow(DA, SA, SU, EV, AS, AD),
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/projects"): DISTRICT,
    ("DELETE", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}"): DISTRICT,
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/assignments"): DISTRICT,
    ("DELETE", f"{API}/evaluation/assignments/{{assignment_id}}"): DISTRICT,
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/progress"): allow(DA, SU, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/scores"): allow(DA, SU, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/my-assignments"): allow(EV, AS, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}/score"): allow(EV, AS, AD),
    ("PUT", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}/score"): allow(EV, AS, AD),
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}/score/submit"): allow(EV, AS, AD),
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}/conflict-declaration"): allow(
        EV, AS, AD
    ),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/my-satisfaction"): allow(R, AD),
    ("POST", f"{API}/evaluation/campaigns/{{campaign_id}}/projects/{{proposal_id}}/satisfaction"): allow(R, AD),
    ("PUT", f"{API}/evaluation/campaigns/{{campaign_id}}/streets/{{street_id}}/self-inspection"): allow(SA, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/streets/{{street_id}}/self-inspection"): allow(DA, SA, SU, AD),
    ("GET", f"{API}/evaluation/campaigns/{{campaign_id}}/self-inspections"): allow(DA, SA, SU, AD),
    ("GET", f"{API}/public/evaluation/campaigns"): PUBLIC,
    ("GET", f"{API}/public/evaluation/campaigns/{{campaign_id}}/satisfaction"): PUBLIC,
    # --- expert review (评审) of 公益微创投: street and district staff run panels, their experts score -------
    ("POST", f"{API}/review-panels"): allow(SA, DA, AD),
    ("GET", f"{API}/review-panels/{{panel_id}}"): allow(SA, DA, SU, EV, AD),
    ("PUT", f"{API}/review-panels/{{panel_id}}/pitch"): allow(SA, DA, AD),
    ("POST", f"{API}/review-panels/{{panel_id}}/close"): allow(SA, DA, AD),
    ("POST", f"{API}/review-panels/{{panel_id}}/notice"): allow(SA, DA, AD),
    ("POST", f"{API}/review-panels/{{panel_id}}/dissolve"): allow(SA, DA, AD),
    ("GET", f"{API}/public/review-panels/{{panel_id}}"): PUBLIC,
    ("PUT", f"{API}/review-panels/{{panel_id}}/applications/{{proposal_id}}/score"): allow(EV, AD),
    ("POST", f"{API}/review-panels/{{panel_id}}/applications/{{proposal_id}}/conflict-declaration"): allow(EV, AD),
    # --- audit trail: the supervisory committee audits, district admins read their district -------
    ("GET", f"{API}/audit/events"): allow(SU, DA, AD),
    ("GET", f"{API}/audit/verify"): allow(SU, AD),
    # --- notifications: one's own inbox, channels and WeChat grants; an API token gets 400 not_a_person -----
    ("GET", f"{API}/me/notifications"): SIGNED_IN,
    ("POST", f"{API}/me/notifications/read-all"): SIGNED_IN,
    ("POST", f"{API}/me/notifications/{{notification_id}}/read"): SIGNED_IN,
    ("GET", f"{API}/me/notification-preferences"): SIGNED_IN,
    ("PUT", f"{API}/me/notification-preferences/{{kind}}"): SIGNED_IN,
    ("GET", f"{API}/me/wechat/subscriptions"): SIGNED_IN,
    ("POST", f"{API}/me/wechat/subscriptions"): SIGNED_IN,
    # Receipts the SMS providers push: no login, a secret token in the URL (404 without it).
    ("POST", f"{API}/sms/receipts/aliyun"): PUBLIC,
    ("POST", f"{API}/sms/receipts/tencent"): PUBLIC,
}

# Routes that act on the caller's own login session: each role calls them with a fresh one.
OWN_SESSION = {("POST", f"{API}/auth/logout")}
BODY_METHODS = {"POST", "PUT", "PATCH"}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every API route, FastAPI's own docs and OpenAPI routes left out."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI resolves included routers lazily
    except ImportError:  # older FastAPI: app.routes is already flat
        pairs = [(route, route.path) for route in app.routes]
    else:
        pairs = [(ctx.original_route, ctx.path) for ctx in iter_route_contexts(app.routes)]
    return {
        (method, path)
        for route, path in pairs
        if isinstance(route, APIRoute)
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


def describe(decision: Decision) -> str:
    if decision.roles is None:
        return "PUBLIC"
    return "{" + ", ".join(sorted(r.value for r in decision.roles)) + "}"


def test_every_route_has_a_decision(tmp_path):
    """A route without an entry in EXPECTED (or an entry without a route) fails here, naming it."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        _env_file=None,
    )
    routes = app_routes(create_app(settings))
    undecided = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    message = []
    if undecided:
        message.append("Routes without an access decision (add them to EXPECTED in tests/test_access_matrix.py):")
        message += [f"  {m} {p}" for m, p in undecided]
    if stale:
        message.append("Decisions for routes the app no longer has (remove them from EXPECTED):")
        message += [f"  {m} {p}" for m, p in stale]
    assert not message, "\n".join(message)


RESIDENT_PHONE = "13700000001"  # the resident caller's login phone, on community a1's roll


@dataclass
class Caller:
    """One principal of the walk: its role (None: anonymous) and how to get its headers."""

    name: str
    role: Role | None
    headers: dict[str, str]
    user: object | None = None


async def _callers(session, app, tree: Tree) -> list[Caller]:
    """Anonymous, a user of every role bound to its standard region, and a real API token for assessors."""
    callers = [Caller("anonymous", None, {})]
    for role in Role:
        if role == Role.assessor:
            org = await add_organisation(session, f"评估机构-{uuid.uuid4().hex[:6]}", OrganisationKind.assessor)
            _, secret = await issue_api_token(
                session,
                app.state.settings,
                org.id,
                "access matrix",
                [s.value for s in Scope],
                utcnow() + timedelta(days=30),
                None,
                SYSTEM,
            )
            await session.commit()
            callers.append(Caller("assessor (API token)", role, {"Authorization": f"Bearer {secret}"}))
        else:
            user, headers = await user_for(
                session, app, tree, role, **({"phone": RESIDENT_PHONE} if role == Role.resident else {})
            )
            callers.append(Caller(role.value, role, headers, user))
    return callers


async def _resources(client: httpx.AsyncClient, session, app, tree: Tree, admin: dict[str, str]) -> dict[str, str]:
    """Real rows for the path parameters routes resolve BEFORE their role gate (a dependency declared
    ahead of the principal): with an unknown id those routes answer 404 to everyone and hide the gate.

    Each is placed so the roles that pass the gate are not refused by a policy afterwards: the programme
    in the callers' district, meeting and council in community a1, and a draft proposal of another
    resident, which nobody else may see (every caller past the gate gets its 404).
    """
    when = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    a1 = tree.community_a1.id

    async def created(url: str, body: dict) -> str:
        r = await client.post(url, headers=admin, json=body)
        assert r.status_code == 201, (url, r.text)
        return r.json()["id"]

    programme = await created(
        f"{API}/programmes", {"district_id": str(tree.district.id), "year": 2025, "name": "访问控制矩阵"}
    )
    meeting = await created(
        f"{API}/communities/{a1}/meetings",
        {"topic": "议题", "scheduled_at": when, "place": "活动室", "host": "李华", "participants": "全体居民代表"},
    )
    motion = await created(f"{API}/meetings/{meeting}/motions", {"title": "议题一"})
    council = await created(
        f"{API}/communities/{a1}/councils",
        {"topic": "议事会", "scheduled_at": when, "place": "活动室", "host": "李华", "seats": 3},
    )
    await created(f"{API}/communities/{a1}/voter-roll", {"phone": RESIDENT_PHONE, "name": "居民"})
    proposer = await add_user(session, Role.resident, tree.community_a1, username=f"proposer-{uuid.uuid4().hex[:6]}")
    proposal = Proposal(
        programme_id=uuid.UUID(programme),
        community_id=a1,
        region_path=tree.community_a1.path,
        proposer_user_id=proposer.id,
        proposer_kind=ProposerKind.resident,
        title="草稿",
        kind=ProposalKind.livelihood,
        project_type=ProjectType.services,
        category=ProjectCategory.inclusive_services,
        need="需求",
        plan="方案",
        benefits="受益",
    )
    session.add(proposal)
    await session.commit()
    return {
        "programme_id": programme,
        "meeting_id": meeting,
        "motion_id": motion,
        "council_id": council,
        "proposal_id": str(proposal.id),
    }


def _url(path: str, resources: dict[str, str]) -> str:
    """The path with its parameters filled: the seeded rows above, else a random UUID."""
    out, rest = "", path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out += head + resources.get(name.split(":")[0], str(uuid.uuid4()))
    return out + rest


async def test_access_matrix(app, client, session):
    """Every route × anonymous and every role answers as EXPECTED says (all mismatches listed at once)."""
    tree = await make_tree(session)
    callers = await _callers(session, app, tree)
    admin = next(c for c in callers if c.role == Role.admin)
    resources = await _resources(client, session, app, tree, admin.headers)

    mismatches: list[str] = []
    routes = sorted(app_routes(app))
    assert len(routes) >= len(EXPECTED) * 0.9, "the route walk found suspiciously few routes"
    for method, path in routes:
        decision = EXPECTED.get((method, path))
        if decision is None:
            mismatches.append(f"{method} {path}: no decision in EXPECTED")
            continue
        url = _url(path, resources)
        for caller in callers:
            headers = caller.headers
            if (method, path) in OWN_SESSION and caller.user is not None:
                headers = await bearer(session, app, caller.user)
            r = await client.request(method, url, headers=headers, json={} if method in BODY_METHODS else None)
            status = r.status_code
            print("MATRIX", method, path, caller.name, status, r.text[:80] if status >= 400 else "")
            if caller.role is None and decision.roles is not None:
                ok, want = status == 401, "401"
            elif decision.allows(caller.role):
                ok, want = status not in (401, 403) and status < 500, f"not 401/403 ({describe(decision)})"
            else:
                ok, want = status == decision.denied_status, f"{decision.denied_status} ({describe(decision)})"
            if not ok:
                detail = r.json().get("code") if "json" in r.headers.get("content-type", "") else ""
                mismatches.append(f"{method} {path} as {caller.name}: expected {want}, got {status} {detail}")
    assert not mismatches, f"{len(mismatches)} access-control mismatches:\n" + "\n".join(mismatches)
