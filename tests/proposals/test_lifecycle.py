"""The lifecycle over HTTP: who may make which step, 409 listing the allowed ones, withdrawal, system-only steps."""

import uuid

import pytest

from app.audit.service import SYSTEM
from app.core.errors import Conflict
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, transition
from app.proposals.models import Proposal
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, create, in_deliberation, move, submitted


async def test_happy_path_to_deliberation(client, session, pw):
    p = await submitted(client, pw)
    screening = ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    assert screening["passed"] is True
    before = await audit_count(session, "proposal.transition")
    assert ok(await move(client, pw.h["street_a"], p["id"], "under_survey"))["state"] == "under_survey"
    assert ok(await move(client, pw.h["staff_a1"], p["id"], "in_deliberation"))["state"] == "in_deliberation"
    assert await audit_count(session, "proposal.transition") == before + 2


async def test_wrong_transition_is_409_with_allowed_list(client, session, pw):
    p = await submitted(client, pw)
    before = await audit_count(session)
    # The proposer may only withdraw a submitted proposal.
    body = problem(await move(client, pw.h["resident"], p["id"], "shortlisted"), 409, "transition_not_allowed")
    assert body["from"] == "submitted" and body["to"] == "shortlisted"
    assert body["allowed"] == [{"to": "withdrawn", "by": ["proposer"]}]
    # Staff cannot screen through the plain endpoint: screening records reasons, so it has its own.
    body = problem(await move(client, pw.h["staff_a1"], p["id"], "screened"), 409, "transition_not_allowed")
    assert body["allowed"] == []
    assert await audit_count(session) == before
    assert ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))["state"] == "submitted"


async def test_allowed_transitions_endpoint(client, pw):
    p = await in_deliberation(client, pw)
    assert ok(await client.get(f"{API}/proposals/{p['id']}/transitions", headers=pw.h["resident"])) == [
        {"to": "withdrawn", "by": ["proposer"]}
    ]
    # Meeting outcomes are the system's: staff have nothing to do by hand here.
    assert ok(await client.get(f"{API}/proposals/{p['id']}/transitions", headers=pw.h["staff_a1"])) == []


@pytest.mark.parametrize("steps", [0, 1, 3])
async def test_withdraw_from_open_states(client, pw, steps):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    if steps >= 1:
        ok(await client.post(f"{API}/proposals/{p['id']}/submit", headers=pw.h["resident"]))
    if steps >= 3:
        ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
        ok(await move(client, pw.h["staff_a1"], p["id"], "under_survey"))
    w = ok(await move(client, pw.h["resident"], p["id"], "withdrawn", "已自行解决"))
    assert w["state"] == "withdrawn" and w["state_reason"] == "已自行解决"
    body = problem(await move(client, pw.h["resident"], p["id"], "submitted"), 409, "transition_not_allowed")
    assert body["allowed"] == []


async def test_staff_cannot_withdraw_for_the_proposer(client, pw):
    p = await submitted(client, pw)
    problem(await move(client, pw.h["staff_a1"], p["id"], "withdrawn"), 409, "transition_not_allowed")


async def test_unknown_target_state_is_422(client, pw):
    p = await submitted(client, pw)
    problem(await move(client, pw.h["resident"], p["id"], "approved"), 422, "validation_error")


async def test_services_move_proposals_through_later_states(client, session, pw):
    """Later issues (vote, notice, implementation) call transition() with a Process; people cannot."""
    p = await in_deliberation(client, pw)
    proposal = await session.get(Proposal, uuid.UUID(p["id"]))
    process = Process("test", SYSTEM)
    for state in (
        "shortlisted",
        "in_vote",
        "selected",
        "in_notice",
        "confirmed",
        "in_implementation",
        "completed",
        "evaluated",
    ):
        await transition(session, proposal, ProposalState(state), process, f"→ {state}")
    await session.commit()
    got = ok(await client.get(f"{API}/proposals/{p['id']}", headers=pw.h["resident"]))
    assert got["state"] == "evaluated"
    # evaluated is terminal: not even the system moves it.
    with pytest.raises(Conflict) as info:
        await transition(session, proposal, ProposalState.in_implementation, process)
    assert info.value.code == "transition_not_allowed"
    await session.rollback()


async def test_returned_proposal_can_be_revised_and_resubmitted(client, pw):
    p = await submitted(client, pw)
    ok(
        await client.post(
            f"{API}/proposals/{p['id']}/screenings",
            headers=pw.h["staff_a1"],
            json={"failed_items": ["gifts"], "note": "请删除纪念品"},
        ),
        201,
    )
    url = f"{API}/proposals/{p['id']}"
    assert ok(await client.get(url, headers=pw.h["resident"]))["state"] == "returned"
    ok(await client.patch(url, headers=pw.h["resident"], json={"title": "楼道照明（修订）"}))
    again = ok(await client.post(f"{url}/submit", headers=pw.h["resident"]))
    assert again["state"] == "submitted" and again["submitted_at"] == p["submitted_at"]


async def test_submit_retried_with_the_same_idempotency_key(idempotent_app, client, session, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    url = f"{API}/proposals/{p['id']}/submit"
    headers = {**pw.h["resident"], "Idempotency-Key": "submit-" + p["id"]}
    first = await client.post(url, headers=headers)
    before = await audit_count(session, "proposal.transition")
    again = await client.post(url, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.json()["state"] == "submitted"
    assert again.headers.get("idempotent-replayed") == "true"
    assert await audit_count(session, "proposal.transition") == before
    # Without the key, a second submit is the plain 409 it always was.
    problem(await client.post(url, headers=pw.h["resident"]), 409, "transition_not_allowed")
