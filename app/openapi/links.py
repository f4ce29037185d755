"""OpenAPI links: which response feeds which next request (create a proposal, then read, edit and submit it).

Clients read them as documentation; schemathesis follows them to test chains of calls
(tests/reliability/test_fuzz_stateful.py). Each link names its source operation and status, its target
operation and where the target's parameters (and, merged into a generated body, body fields) come from.
"""

from typing import Any

API = "/api/v1"
ID = "$response.body#/id"

# (source method, source path, status) -> [(link name, target method, target path, parameters, request body)]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str], dict[str, str] | None]]] = {
    ("POST", f"{API}/proposals", "201"): [
        ("ReadProposal", "GET", f"{API}/proposals/{{proposal_id}}", {"proposal_id": ID}, None),
        ("EditProposal", "PATCH", f"{API}/proposals/{{proposal_id}}", {"proposal_id": ID}, None),
        ("SubmitProposal", "POST", f"{API}/proposals/{{proposal_id}}/submit", {"proposal_id": ID}, None),
        ("AllowedTransitions", "GET", f"{API}/proposals/{{proposal_id}}/transitions", {"proposal_id": ID}, None),
        ("AttachToProposal", "POST", f"{API}/proposals/{{proposal_id}}/attachments", {"proposal_id": ID}, None),
        ("ListAttachments", "GET", f"{API}/proposals/{{proposal_id}}/attachments", {"proposal_id": ID}, None),
    ],
    ("POST", f"{API}/proposals/{{proposal_id}}/submit", "200"): [
        ("ScreenProposal", "POST", f"{API}/proposals/{{proposal_id}}/screenings", {"proposal_id": ID}, None),
        ("ListScreenings", "GET", f"{API}/proposals/{{proposal_id}}/screenings", {"proposal_id": ID}, None),
    ],
    ("POST", f"{API}/proposals/{{proposal_id}}/screenings", "201"): [
        (
            "AddSurveyNote",
            "POST",
            f"{API}/proposals/{{proposal_id}}/survey-notes",
            {"proposal_id": "$response.body#/proposal_id"},
            None,
        ),
    ],
    # The public notice board: a current notice, an objection to its first project, the objection followed.
    ("GET", f"{API}/public/notices", "200"): [
        (
            "ReadPublicNotice",
            "GET",
            f"{API}/public/notices/{{notice_id}}",
            {"notice_id": "$response.body#/items/0/id"},
            None,
        ),
        (
            "ObjectToFirstProject",
            "POST",
            f"{API}/public/notices/{{notice_id}}/objections",
            {"notice_id": "$response.body#/items/0/id"},
            {"item_id": "$response.body#/items/0/items/0/id"},
        ),
    ],
    ("POST", f"{API}/public/notices/{{notice_id}}/objections", "201"): [
        (
            "TrackObjection",
            "GET",
            f"{API}/public/objections/{{tracking_code}}",
            {"tracking_code": "$response.body#/tracking_code"},
            None,
        ),
    ],
    ("POST", f"{API}/pilots/{{pilot_id}}/voting-rounds", "201"): [
        ("ReadRound", "GET", f"{API}/voting/rounds/{{round_id}}", {"round_id": ID}, None),
        ("EditRound", "PATCH", f"{API}/voting/rounds/{{round_id}}", {"round_id": ID}, None),
        ("CancelRound", "POST", f"{API}/voting/rounds/{{round_id}}/cancel", {"round_id": ID}, None),
        ("CastBallot", "POST", f"{API}/voting/rounds/{{round_id}}/ballots", {"round_id": ID}, None),
    ],
    ("GET", f"{API}/voting/my-rounds", "200"): [
        (
            "CastBallotInMyRound",
            "POST",
            f"{API}/voting/rounds/{{round_id}}/ballots",
            {"round_id": "$response.body#/0/id"},
            None,
        ),
    ],
    ("POST", f"{API}/voting/rounds/{{round_id}}/ballots", "201"): [
        (
            "ReadMyBallot",
            "GET",
            f"{API}/voting/rounds/{{round_id}}/my-ballot",
            {"round_id": "$response.body#/round_id"},
            None,
        ),
        (
            "CheckReceipt",
            "GET",
            f"{API}/public/voting/receipts/{{code}}",
            {"code": "$response.body#/receipt_code"},
            None,
        ),
    ],
    ("POST", f"{API}/communities/{{community_id}}/meetings", "201"): [
        ("ReadMeeting", "GET", f"{API}/meetings/{{meeting_id}}", {"meeting_id": ID}, None),
        ("OpenMeeting", "POST", f"{API}/meetings/{{meeting_id}}/open", {"meeting_id": ID}, None),
        ("CancelMeeting", "POST", f"{API}/meetings/{{meeting_id}}/cancel", {"meeting_id": ID}, None),
        ("MeetingQuorum", "GET", f"{API}/meetings/{{meeting_id}}/quorum", {"meeting_id": ID}, None),
        ("SignIn", "POST", f"{API}/meetings/{{meeting_id}}/sign-ins", {"meeting_id": ID}, None),
    ],
    ("POST", f"{API}/communities/{{community_id}}/representatives", "201"): [
        (
            "RetireRepresentative",
            "POST",
            f"{API}/representatives/{{representative_id}}/retire",
            {"representative_id": ID},
            None,
        ),
    ],
    ("POST", f"{API}/communities/{{community_id}}/councils", "201"): [
        ("ReadCouncil", "GET", f"{API}/councils/{{council_id}}", {"council_id": ID}, None),
        ("InviteToCouncil", "POST", f"{API}/councils/{{council_id}}/invitations", {"council_id": ID}, None),
        ("CouncilParticipants", "GET", f"{API}/councils/{{council_id}}/participants", {"council_id": ID}, None),
    ],
    ("POST", f"{API}/communities/{{community_id}}/voter-roll", "201"): [
        ("RemoveFromRoll", "POST", f"{API}/voter-roll/{{entry_id}}/removal", {"entry_id": ID}, None),
    ],
    ("POST", f"{API}/pilots/{{pilot_id}}/fund-sources", "201"): [
        ("RecordFundsIn", "POST", f"{API}/fund-sources/{{source_id}}/funds-in", {"source_id": ID}, None),
    ],
    ("POST", f"{API}/users", "201"): [
        ("ReadUser", "GET", f"{API}/users/{{user_id}}", {"user_id": ID}, None),
        ("EditUser", "PATCH", f"{API}/users/{{user_id}}", {"user_id": ID}, None),
    ],
    ("POST", f"{API}/regions", "201"): [
        ("ReadRegion", "GET", f"{API}/regions/{{region_id}}", {"region_id": ID}, None),
        ("EditRegion", "PATCH", f"{API}/regions/{{region_id}}", {"region_id": ID}, None),
        ("RegionTree", "GET", f"{API}/regions/{{region_id}}/tree", {"region_id": ID}, None),
    ],
    ("POST", f"{API}/evaluation/rubrics", "201"): [
        ("ReadRubric", "GET", f"{API}/evaluation/rubrics/{{rubric_id}}", {"rubric_id": ID}, None),
        ("AddRubricVersion", "POST", f"{API}/evaluation/rubrics/{{rubric_id}}/versions", {"rubric_id": ID}, None),
    ],
}


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Declare LINKS on their source responses, naming targets by operationId; a link to an operation or a
    response that does not exist is a KeyError when the document is built, not a silent gap."""
    paths = document["paths"]
    for (method, path, status), links in LINKS.items():
        response = paths[path][method.lower()]["responses"][status]
        declared = response.setdefault("links", {})
        for name, target_method, target_path, parameters, body in links:
            link: dict[str, Any] = {
                "operationId": paths[target_path][target_method.lower()]["operationId"],
                "parameters": parameters,
            }
            if body:
                link["requestBody"] = body
            declared[name] = link
    return document
