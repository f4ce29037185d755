"""OWASP API2:2023 Broken Authentication: every kind of token is refused when expired, revoked, forged,
used as another kind, or out of scope; login and one-time codes resist brute force.

Already covered elsewhere (and not repeated here):
- access JWTs: expired, wrong signature, alg none, RS256/HS384 confusion, wrong audience or issuer, missing
  claims, a session that ended (tests/auth/test_jwt.py); logout ends the session at once, refresh tokens are
  single-use and reuse revokes the family, also when raced (tests/auth/test_login.py);
- API tokens: expired, unknown, revoked (tests/auth/test_api_tokens.py);
- brute force: login limited per account (even with the right password) and per address, shared by every
  worker (tests/auth/test_rate_limits.py); codes limited per phone and address, wrong codes exhaust a code,
  codes expire and are bound to their phone (tests/auth/test_otp.py); unknown, wrong and disabled accounts
  answer identically (tests/auth/test_login.py).
"""

import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute, iter_route_contexts

from app.audit.service import SYSTEM
from app.auth.deps import optional_principal, require_scope
from app.auth.models import Role
from app.auth.tokens_service import issue_api_token
from app.common.models import utcnow
from tests.auth.helpers import PASSWORD, assert_problem, auth, password_hash
from tests.factories import add_organisation, add_user
from tests.security.openapi_walk import spec

ME = "/api/v1/auth/me"


async def test_a_token_of_one_kind_is_refused_as_another(client, session, tree):
    await add_user(session, Role.community_staff, tree.community_a1, username="wang.li", password_hash=password_hash())
    tokens = (await client.post("/api/v1/auth/login", json={"username": "wang.li", "password": PASSWORD})).json()
    assert (await client.get(ME, headers=auth(tokens["access_token"]))).status_code == 200
    # A refresh token is not a bearer credential, and an access token does not refresh.
    assert_problem(await client.get(ME, headers=auth(tokens["refresh_token"])), 401)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert r.status_code in (401, 422) and r.headers["content-type"].startswith("application/problem+json")
    # The refresh token still works afterwards: refused misuse did not consume it.
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 200


async def test_a_forged_api_token_with_a_real_prefix_is_refused(client, session, app, tree):
    org = await add_organisation(session, "评估中心", region=tree.district)
    _, secret = await issue_api_token(
        session, app.state.settings, org.id, "real", ["reports:read"], utcnow() + timedelta(days=30), None, SYSTEM
    )
    await session.commit()
    assert (await client.get(ME, headers=auth(secret))).status_code == 200
    # Same prefix (so the lookup finds the row), different secret: the HMAC must not match.
    forged = secret[:-6] + ("AAAAAA" if not secret.endswith("AAAAAA") else "BBBBBB")
    assert_problem(await client.get(ME, headers=auth(forged)), 401)
    assert_problem(await client.get(ME, headers=auth(secret + "x")), 401)
    assert_problem(await client.get(ME, headers=auth(secret.upper())), 401)


async def test_an_api_token_out_of_its_scope_is_refused(client, session, app, tree):
    router = APIRouter()

    @router.post("/_probe/assessments", dependencies=[Depends(require_scope("assessments:write"))])
    async def submit_assessment():
        return {"ok": True}

    app.include_router(router)
    org = await add_organisation(session, "评估中心", region=tree.district)
    _, reader = await issue_api_token(
        session,
        app.state.settings,
        org.id,
        "reader",
        ["assessments:read", "reports:read"],
        utcnow() + timedelta(days=30),
        None,
        SYSTEM,
    )
    _, writer = await issue_api_token(
        session,
        app.state.settings,
        org.id,
        "writer",
        ["assessments:write"],
        utcnow() + timedelta(days=30),
        None,
        SYSTEM,
    )
    await session.commit()
    assert_problem(await client.post("/_probe/assessments", headers=auth(reader)), 403, "scope_forbidden")
    assert (await client.post("/_probe/assessments", headers=auth(writer))).status_code == 200
    assert_problem(await client.post("/_probe/assessments"), 401, "not_authenticated")


async def test_a_bad_token_on_a_public_route_is_a_declared_401(client, app, tmp_path):
    # Found by the fuzzer: the public objection form reads a token when one is sent (to know a resident), so a
    # stale one is refused with a 401 its OpenAPI operation did not declare. Every operation that reads a
    # token now declares it.
    url = f"/api/v1/public/notices/{uuid.uuid4()}/objections"
    body = {"item_id": str(uuid.uuid4()), "reason": "公示金额与预算不符"}
    assert_problem(await client.post(url, json=body, headers=auth("not-a-token")), 401)
    assert (await client.post(url, json=body)).status_code == 404  # anonymous is fine; the notice is unknown
    doc = spec(tmp_path)
    undeclared = [
        (method, ctx.path)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
        and ctx.include_in_schema
        and optional_principal in set(_calls(ctx.dependant))
        for method in ctx.methods
        if "401" not in doc["paths"][ctx.path][method.lower()]["responses"]
    ]
    assert undeclared == []


def _calls(dependant):
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)
