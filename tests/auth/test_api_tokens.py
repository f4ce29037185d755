"""API tokens: issued to an organisation by district staff, shown once, usable, revocable, expiring."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.audit.service import SYSTEM
from app.auth.models import ApiToken, Role
from app.auth.tokens_service import issue_api_token
from app.common.models import utcnow
from app.core.errors import Unprocessable
from tests.auth.helpers import assert_problem, auth
from tests.factories import add_organisation, add_user, bearer, user_for

TOKENS = "/api/v1/api-tokens"


async def _issue(client, headers, org, **kw):
    body = {
        "organisation_id": str(org.id),
        "name": "2026 评估",
        "scopes": ["assessments:read", "reports:read"],
        "expires_in_days": 30,
        **kw,
    }
    return await client.post(TOKENS, json=body, headers=headers)


async def test_issue_use_list_and_revoke(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    org = await add_organisation(session, "深圳市社会组织评估中心", region=tree.district)
    r = await _issue(client, admin, org)
    assert r.status_code == 201, r.text
    issued = r.json()
    secret = issued["token"]
    assert secret.startswith("wst_") and issued["prefix"] == secret[:12]
    assert issued["scopes"] == ["assessments:read", "reports:read"] and issued["revoked_at"] is None

    me = await client.get("/api/v1/auth/me", headers=auth(secret))
    assert me.status_code == 200, me.text
    me = me.json()
    assert me["kind"] == "token" and me["organisation"]["name"] == "深圳市社会组织评估中心"
    assert me["scopes"] == ["assessments:read", "reports:read"] and me["token_prefix"] == issued["prefix"]

    listing = await client.get(TOKENS, headers=admin)
    assert listing.status_code == 200
    assert secret not in listing.text and "token_hmac" not in listing.text
    [item] = listing.json()["items"]
    assert "token" not in item and item["prefix"] == issued["prefix"] and item["last_used_at"] is not None

    r = await client.post(f"{TOKENS}/{issued['id']}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert_problem(await client.get("/api/v1/auth/me", headers=auth(secret)), 401, "token_revoked")
    # Revoking again changes nothing.
    again = await client.post(f"{TOKENS}/{issued['id']}/revoke", headers=admin)
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]


async def test_expired_and_unknown_tokens_are_refused(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    org = await add_organisation(session, "评估机构", region=tree.district)
    issued = (await _issue(client, admin, org)).json()
    await session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert_problem(await client.get("/api/v1/auth/me", headers=auth(issued["token"])), 401, "token_expired")
    assert_problem(await client.get("/api/v1/auth/me", headers=auth("wst_" + "x" * 43)), 401, "invalid_token")


async def test_only_district_admins_issue_tokens(client, session, app, tree):
    org = await add_organisation(session, "评估机构", region=tree.district)
    for role in (Role.community_staff, Role.street_admin, Role.finance, Role.evaluator, Role.resident):
        _, headers = await user_for(session, app, tree, role)
        assert_problem(await _issue(client, headers, org), 403, "role_forbidden")
        assert_problem(await client.get(TOKENS, headers=headers), 403)
    # A token cannot mint tokens either.
    _, admin = await user_for(session, app, tree, Role.district_admin)
    secret = (await _issue(client, admin, org)).json()["token"]
    assert_problem(await _issue(client, auth(secret), org), 403)
    assert_problem(await _issue(client, {}, org), 401)


async def test_district_admins_stay_in_their_district(client, session, app, tree):
    _, ours = await user_for(session, app, tree, Role.district_admin)
    theirs = await bearer(session, app, await add_user(session, Role.district_admin, tree.other_district))
    foreign_org = await add_organisation(session, "罗湖评估", region=tree.other_district)
    assert_problem(await _issue(client, ours, foreign_org), 403, "out_of_region")
    # An organisation with no region works across districts: a district admin would reach every district's
    # assessments through its tokens, so only an administrator issues them (issue 24).
    shared_org = await add_organisation(session, "全市评估")
    assert_problem(await _issue(client, ours, shared_org), 403, "organisation_without_region")
    _, root = await user_for(session, app, tree, Role.admin)
    assert (await _issue(client, root, shared_org)).status_code == 201
    issued = (await _issue(client, theirs, foreign_org)).json()
    assert (await client.get(TOKENS, headers=ours)).json()["items"] == []
    assert_problem(await client.post(f"{TOKENS}/{issued['id']}/revoke", headers=ours), 403, "out_of_region")
    assert_problem(await client.post(f"{TOKENS}/{uuid.uuid4()}/revoke", headers=ours), 404)


async def test_bad_token_requests_are_422(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    org = await add_organisation(session, "评估机构", region=tree.district)
    assert_problem(await _issue(client, admin, org, scopes=["admin:everything"]), 422)
    assert_problem(await _issue(client, admin, org, scopes=[]), 422)
    assert_problem(await _issue(client, admin, org, expires_in_days=366), 422)
    r = await client.post(
        TOKENS, headers=admin, json={"organisation_id": str(uuid.uuid4()), "name": "x", "scopes": ["reports:read"]}
    )
    assert_problem(r, 422, "unknown_organisation")


async def test_service_refuses_expiry_beyond_a_year(session, app, tree):
    org = await add_organisation(session, "评估机构")
    settings = app.state.settings
    with pytest.raises(Unprocessable, match="one year"):
        await issue_api_token(
            session, settings, org.id, "cli", ["reports:read"], utcnow() + timedelta(days=400), None, SYSTEM
        )
    with pytest.raises(Unprocessable, match="campaign"):  # a token binds only to a campaign that exists
        await issue_api_token(
            session, settings, org.id, "cli", ["reports:read"], utcnow() + timedelta(days=30), uuid.uuid4(), SYSTEM
        )
    token, secret = await issue_api_token(
        session, settings, org.id, "cli", ["reports:read", "reports:read"], utcnow() + timedelta(days=365), None, SYSTEM
    )
    assert token.scopes == ["reports:read"] and secret not in (token.token_hmac, token.prefix)
