"""Social organisations (issue 27): registration by credit code, verification with documents, suspension,
members by invitation, applications by verified organisations only, and the track record staff read."""

from sqlalchemy import func, select

from app.auth.models import Organisation
from tests.auth.helpers import assert_problem
from tests.organisations.helpers import CODE, PDF, person, registered, registration, upload, verified
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import VENTURE_PLAN, body

ORGS = f"{API}/organisations"


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Organisation))


async def test_register_pending_with_the_caller_as_owner(client, session, app, pw):
    owner, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await registered(client, h, pw.tree.community_a1.id)
    assert (org["status"], org["credit_code"], org["kind"]) == ("pending", CODE, "social_organisation")
    me = ok(await client.get(f"{API}/auth/me", headers=h))
    assert me["organisation"]["id"] == org["id"]
    members = ok(await client.get(f"{ORGS}/{org['id']}/members", headers=h))["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(str(owner.id), "owner")]
    assert "phone" not in str(members)
    # Already in an organisation: a second registration is refused.
    assert_problem(
        await client.post(
            f"{ORGS}/register",
            headers=h,
            json=registration(pw.tree.community_a1.id, name="另一个机构", credit_code="52440304MJL0002004"),
        ),
        409,
        "already_in_organisation",
    )


async def test_bad_credit_codes_change_nothing(client, session, app, pw):
    _, h = await person(session, app, pw.tree.community_a1, "13900000007")
    before = await _count(session)
    for code, says in (("52440304MJL000100F", "校验码"), ("52440304MJL00010OE", "不含I"), ("5244", None)):
        r = await client.post(
            f"{ORGS}/register", headers=h, json=registration(pw.tree.community_a1.id, credit_code=code)
        )
        problem = assert_problem(r, 422)
        if says:
            assert problem["code"] == "invalid_credit_code" and says in problem["detail"], problem
    # Staff registering an organisation get the same check.
    assert_problem(
        await client.post(
            ORGS,
            headers=pw.h["district"],
            json={"name": "某机构", "kind": "social_organisation", "credit_code": "52440304MJL000100F"},
        ),
        422,
        "invalid_credit_code",
    )
    assert await _count(session) == before
    me = ok(await client.get(f"{API}/auth/me", headers=h))
    assert me["organisation"] is None


async def test_verification_needs_documents_and_the_right_staff(client, session, app, pw):
    _, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await registered(client, h, pw.tree.community_a1.id)
    verify = f"{ORGS}/{org['id']}/verify"
    assert_problem(await client.post(verify, headers=pw.h["street_a"], json={}), 409, "documents_missing")
    _, stranger = await person(session, app, pw.tree.community_a1, "13900000011")
    assert_problem(await upload(client, stranger, org["id"]), 404, "organisation_not_found")
    doc = ok(await upload(client, h, org["id"]), 201)
    content = await client.get(f"{API}/organisation-documents/{doc['id']}/content", headers=pw.h["street_a"])
    assert content.status_code == 200 and content.content == PDF
    assert_problem(await client.post(verify, headers=pw.h["staff_a1"], json={}), 403, "role_forbidden")
    assert_problem(await client.post(verify, headers=pw.h["street_b"], json={}), 403, "not_verifier")
    assert_problem(await client.post(verify, headers=h, json={}), 403, "role_forbidden")
    done = ok(await client.post(verify, headers=pw.h["street_a"], json={"reason": "材料齐全"}))
    assert done["status"] == "verified" and done["status_reason"] == "材料齐全"
    assert_problem(await client.post(verify, headers=pw.h["district"], json={}), 409, "organisation_status_conflict")


async def test_only_a_verified_organisation_applies(client, session, app, pw):
    _, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await registered(client, h, pw.tree.community_a1.id)
    application = body(
        pw.tree.community_a1.id,
        as_organisation=True,
        kind="venture",
        project_type="services",
        venture_plan=VENTURE_PLAN,
        budget_lines=[{"item": "探访", "quantity": 1, "unit_price_fen": 100}],
    )
    listed = ok(await client.get(f"{API}/proposals", headers=h))["total"]
    r = await client.post(f"{API}/proposals", headers=h, json=application)
    assert assert_problem(r, 422, "organisation_not_verified")["organisation_status"] == "pending"
    ok(await upload(client, h, org["id"]), 201)
    ok(await client.post(f"{ORGS}/{org['id']}/verify", headers=pw.h["street_a"], json={}))
    p = ok(await client.post(f"{API}/proposals", headers=h, json=application), 201)
    assert (p["proposer_kind"], p["proposer_organisation_id"]) == ("organisation", org["id"])
    assert p["venture_plan"]["target_size"] == 60
    # Suspended: no more applications until reinstated; a suspension needs its reason.
    suspend = f"{ORGS}/{org['id']}/suspend"
    assert_problem(await client.post(suspend, headers=pw.h["street_a"], json={}), 422, "reason_required")
    ok(await client.post(suspend, headers=pw.h["street_a"], json={"reason": "年检未通过"}))
    assert_problem(await client.post(f"{API}/proposals", headers=h, json=application), 422, "organisation_not_verified")
    assert ok(await client.get(f"{API}/proposals", headers=h))["total"] == listed + 1
    ok(await client.post(f"{ORGS}/{org['id']}/reinstate", headers=pw.h["street_a"], json={}))
    ok(await client.post(f"{API}/proposals", headers=h, json=application), 201)


async def test_members_by_invitation(client, session, app, pw):
    _, owner = await person(session, app, pw.tree.community_a1, "13900000007")
    member_user, member = await person(session, app, pw.tree.community_a1, "13900000008")
    _, other = await person(session, app, pw.tree.community_a1, "13900000009")
    org = await registered(client, owner, pw.tree.community_a1.id)
    invitations = f"{ORGS}/{org['id']}/invitations"
    assert_problem(await client.post(invitations, headers=other, json={"phone": "13900000008"}), 404)
    inv = ok(await client.post(invitations, headers=owner, json={"phone": "13900000008"}), 201)
    assert inv["phone_masked"] != "13900000008" and inv["organisation_name"] == "彩虹社工服务中心"
    assert_problem(
        await client.post(invitations, headers=owner, json={"phone": "13900000008"}), 409, "invitation_exists"
    )
    assert_problem(await client.post(invitations, headers=owner, json={"phone": "12345"}), 422)
    assert ok(await client.get(f"{API}/organisation-invitations", headers=other))["total"] == 0
    mine = ok(await client.get(f"{API}/organisation-invitations", headers=member))["items"]
    assert [i["id"] for i in mine] == [inv["id"]]
    assert_problem(
        await client.post(f"{API}/organisation-invitations/{inv['id']}/accept", headers=other),
        404,
        "invitation_not_found",
    )
    joined = ok(await client.post(f"{API}/organisation-invitations/{inv['id']}/accept", headers=member))
    assert (joined["user_id"], joined["role"]) == (str(member_user.id), "member")
    assert_problem(await client.post(f"{API}/organisation-invitations/{inv['id']}/accept", headers=member), 409)
    # A member does not invite; they may read the organisation; they leave.
    assert_problem(await client.post(invitations, headers=member, json={"phone": "13900000009"}), 403, "not_owner")
    assert ok(await client.get(f"{ORGS}/{org['id']}", headers=member))["id"] == org["id"]
    assert ok(await client.get(f"{ORGS}/{org['id']}/members", headers=owner))["total"] == 2
    r = await client.post(f"{ORGS}/{org['id']}/leave", headers=member)
    assert r.status_code == 204, r.text
    assert_problem(await client.get(f"{ORGS}/{org['id']}", headers=member), 404)
    # The last owner cannot leave.
    assert_problem(await client.post(f"{ORGS}/{org['id']}/leave", headers=owner), 409, "last_owner")


async def test_track_record_for_staff_and_evaluators(client, session, app, pw):
    _, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await verified(client, pw, h)
    p = ok(
        await client.post(
            f"{API}/proposals",
            headers=h,
            json=body(
                pw.tree.community_a1.id,
                as_organisation=True,
                kind="venture",
                project_type="services",
                venture_plan=VENTURE_PLAN,
            ),
        ),
        201,
    )
    for who in ("evaluator", "staff_a1", "district"):
        record = ok(await client.get(f"{ORGS}/{org['id']}/record", headers=pw.h[who]))
        assert record["organisation"]["status"] == "verified"
        assert [(x["proposal_id"], x["role"], x["grade"], x["rectifications"]) for x in record["projects"]] == [
            (p["id"], "proposer", None, 0)
        ]
    assert_problem(await client.get(f"{ORGS}/{org['id']}/record", headers=h), 403)
