"""Assignments: refused with the reason on a conflict of interest (回避), all or none; withdrawn while unscored."""

import uuid

from app.auth.models import OrganisationKind, Role
from app.evaluation.models import Assignment
from app.proposals.models import Proposal
from tests.evaluation.helpers import EV, assign, make_eworld, person, score_url
from tests.factories import add_organisation
from tests.programmes.helpers import ok, problem
from tests.proposals.helpers import audit_count, count


async def test_conflicts_of_interest_are_refused_with_their_reason(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2 = ew.projects["p1"], ew.projects["p2"]

    own_community = problem(
        await assign(client, ew, [p2], evaluator=ew.users["expert_a1"]), 409, "conflict_of_interest"
    )
    assert [(c["proposal_id"], c["reason"]) for c in own_community["conflicts"]] == [(p2, "own_community")]
    own_org = problem(
        await assign(client, ew, [p1, p2], evaluator=ew.users["expert_impl"]), 409, "conflict_of_interest"
    )
    assert [(c["proposal_id"], c["reason"]) for c in own_org["conflicts"]] == [(p2, "own_organisation")]
    assert "implemented" in own_org["detail"]
    # An assessor organisation that implemented p1 may not assess it (nor anything in a batch with it).
    implementer = problem(
        await assign(client, ew, [p2, p1], organisation=ew.orgs["assessor2"]), 409, "conflict_of_interest"
    )
    assert [(c["proposal_id"], c["reason"]) for c in implementer["conflicts"]] == [(p1, "own_organisation")]
    assert await count(session, Assignment) == 0
    assert await audit_count(session, "assignment.create") == 0

    # The same people are fine elsewhere: expert_impl on p1, assessor2 on p2.
    ok(await assign(client, ew, [p1], evaluator=ew.users["expert_impl"]), 201)
    made = ok(await assign(client, ew, [p2], organisation=ew.orgs["assessor2"]), 201)
    assert made[0]["source"] == "third_party" and made[0]["evaluator_id"] is None
    assert await count(session, Assignment) == 2


async def test_bad_assignments_change_nothing(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2, p3 = ew.projects["p1"], ew.projects["p2"], ew.projects["p3"]
    experts = ok(await assign(client, ew, [p1, p2], evaluator=ew.users["expert"]), 201)
    assert [a["source"] for a in experts] == ["expert", "expert"]
    problem(await assign(client, ew, [p2], evaluator=ew.users["expert"]), 409, "already_assigned")
    problem(await assign(client, ew, [p3], evaluator=ew.users["expert2"]), 422, "project_not_in_campaign")
    problem(await assign(client, ew, [p2], evaluator=pw.users["resident"]), 422, "not_an_evaluator")
    problem(await assign(client, ew, [p2], organisation=ew.orgs["implementer"]), 422, "not_an_assessor")
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=ew.h["district"],
            json={
                "proposal_ids": [p2],
                "evaluator_id": str(ew.users["expert"].id),
                "organisation_id": str(ew.orgs["assessor"].id),
            },
        ),
        422,
        "validation_error",
    )
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=ew.h["street_a"],
            json={"proposal_ids": [p2], "evaluator_id": str(ew.users["expert2"].id)},
        ),
        403,
        "role_forbidden",
    )
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/assignments",
            headers=ew.h["other_district"],
            json={"proposal_ids": [p2], "evaluator_id": str(ew.users["expert2"].id)},
        ),
        404,
        "campaign_not_found",
    )
    assert await count(session, Assignment) == 2
    assert await audit_count(session, "assignment.create") == 2


async def test_an_assignment_is_withdrawn_only_while_nothing_is_saved(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p1, p2 = ew.projects["p1"], ew.projects["p2"]
    a1, a2 = ok(await assign(client, ew, [p1, p2], evaluator=ew.users["expert"]), 201)
    ok(
        await client.put(
            score_url(ew.cid, p2), headers=ew.h["expert"], json={"items": [{"criterion": "need", "points": 10}]}
        )
    )
    problem(await client.delete(f"{EV}/assignments/{a2['id']}", headers=ew.h["district"]), 409, "assignment_has_score")
    problem(
        await client.delete(f"{EV}/assignments/{a1['id']}", headers=ew.h["other_district"]), 404, "campaign_not_found"
    )
    assert (await client.delete(f"{EV}/assignments/{a1['id']}", headers=ew.h["district"])).status_code == 204
    assert await count(session, Assignment) == 1
    assert await audit_count(session, "assignment.withdraw") == 1
    problem(
        await client.put(
            score_url(ew.cid, p1), headers=ew.h["expert"], json={"items": [{"criterion": "need", "points": 10}]}
        ),
        403,
        "not_assigned",
    )


async def test_an_expert_of_the_applicant_organisation_is_refused(client, session, app, pw):
    """Issue 27: an expert whose organisation applied for a project (公益微创投) may not score it."""
    ew = await make_eworld(client, session, app, pw)
    p1, p2 = ew.projects["p1"], ew.projects["p2"]
    applicant = await add_organisation(
        session, f"申报机构-{uuid.uuid4().hex[:6]}", OrganisationKind.social_organisation
    )
    proposal = await session.get(Proposal, uuid.UUID(p1))
    proposal.proposer_organisation_id = applicant.id
    await session.commit()
    expert, _ = await person(session, app, "expert_applicant", Role.evaluator, pw.tree.district, applicant)
    refused = problem(await assign(client, ew, [p2, p1], evaluator=expert), 409, "conflict_of_interest")
    assert [(c["proposal_id"], c["reason"]) for c in refused["conflicts"]] == [(p1, "applicant_organisation")]
    assert await count(session, Assignment) == 0
    ok(await assign(client, ew, [p2], evaluator=expert), 201)
