"""Staff password login, token rotation, reuse detection and logout, as a client sees them."""

import asyncio

from sqlalchemy import update

from app.auth.models import Role, User
from tests.auth.helpers import PASSWORD, assert_problem, password_hash
from tests.auth.helpers import auth as _auth
from tests.auth.helpers import login as _login
from tests.factories import add_user


async def _staff(session, tree, username="wang.li", **kw):
    return await add_user(
        session, Role.community_staff, tree.community_a1, username=username, password_hash=password_hash(), **kw
    )


async def test_login_returns_tokens_and_me_describes_the_user(client, session, tree):
    await _staff(session, tree)
    r = await _login(client, "wang.li")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["role"] == "community_staff"
    assert 0 < tokens["expires_in"] <= 900 and tokens["refresh_token"].startswith("rt_")
    me = (await client.get("/api/v1/auth/me", headers=_auth(tokens["access_token"]))).json()
    assert me["kind"] == "user" and me["username"] == "wang.li" and me["role"] == "community_staff"
    assert me["region"]["id"] == str(tree.community_a1.id) and me["region"]["name"] == "彩田社区"


async def test_oauth2_password_form_for_swagger(client, session, tree):
    await _staff(session, tree)
    r = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "wang.li", "password": PASSWORD, "scope": ""}
    )
    assert r.status_code == 200, r.text
    assert r.json()["access_token"] and r.json()["token_type"] == "bearer"
    assert_problem(
        await client.post("/api/v1/auth/token", data={"username": "wang.li", "password": "nope"}),
        401,
        "bad_credentials",
    )


async def test_unknown_user_wrong_password_and_disabled_account_look_identical(client, session, tree):
    await _staff(session, tree)
    await _staff(session, tree, username="gone.user")
    await session.execute(update(User).where(User.username == "gone.user").values(is_active=False))
    await session.commit()
    answers = [
        await _login(client, "nobody.here", PASSWORD),
        await _login(client, "wang.li", "wrong password!"),
        await _login(client, "gone.user", PASSWORD),
    ]
    bodies = []
    for r in answers:
        body = assert_problem(r, 401, "bad_credentials")
        assert r.headers["www-authenticate"] == "Bearer"
        body.pop("request_id")
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]


async def test_refresh_rotates_and_reuse_revokes_the_family(client, session, tree):
    await _staff(session, tree)
    first = (await _login(client, "wang.li")).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/auth/me", headers=_auth(second["access_token"]))).status_code == 200
    # Someone replays the spent token: the whole login session ends.
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        401,
        "refresh_token_reused",
    )
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "session_revoked",
    )
    for access in (first["access_token"], second["access_token"]):
        assert_problem(await client.get("/api/v1/auth/me", headers=_auth(access)), 401, "session_revoked")
    # A fresh login still works.
    assert (await _login(client, "wang.li")).status_code == 200


async def test_racing_exchanges_of_one_refresh_token_end_the_session(client, session, tree):
    await _staff(session, tree)
    first = (await _login(client, "wang.li")).json()
    body = {"refresh_token": first["refresh_token"]}
    answers = await asyncio.gather(*(client.post("/api/v1/auth/refresh", json=body) for _ in range(2)))
    assert sorted(r.status_code for r in answers) == [200, 401]
    [winner] = [r.json() for r in answers if r.status_code == 200]
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}),
        401,
        "session_revoked",
    )


async def test_unknown_refresh_token_is_refused(client):
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": "rt_made-up"}), 401, "invalid_refresh_token"
    )


async def test_logout_ends_the_session_at_once(client, session, tree):
    await _staff(session, tree)
    tokens = (await _login(client, "wang.li")).json()
    r = await client.post("/api/v1/auth/logout", headers=_auth(tokens["access_token"]))
    assert r.status_code == 204
    assert_problem(await client.get("/api/v1/auth/me", headers=_auth(tokens["access_token"])), 401, "session_revoked")
    assert_problem(await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    assert_problem(await client.post("/api/v1/auth/logout"), 401)


async def test_login_bodies_are_validated(client):
    assert_problem(await client.post("/api/v1/auth/login", json={"username": "x" * 65, "password": "p"}), 422)
    assert_problem(
        await client.post("/api/v1/auth/login", json={"username": "a", "password": "p", "role": "admin"}), 422
    )
