"""Staff accounts: district admins manage staff in their district; nobody else manages anyone."""

import uuid

from app.auth.models import Role
from tests.auth.helpers import assert_problem, auth, login
from tests.factories import add_user, bearer, user_for

USERS = "/api/v1/users"
STRONG = "a-long-enough-secret"


def _new(region, role="community_staff", username="li.hua", **kw) -> dict:
    return {"username": username, "password": STRONG, "display_name": "李华", "role": role,
            "region_id": str(region.id) if region else None, **kw}


async def test_district_admin_creates_staff_who_can_log_in(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    r = await client.post(USERS, json=_new(tree.community_a1), headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["role"] == "community_staff" and created["region_id"] == str(tree.community_a1.id)
    assert "password" not in r.text and "password_hash" not in created
    r = await login(client, "li.hua", STRONG)
    assert r.status_code == 200 and r.json()["role"] == "community_staff"
    assert_problem(await client.post(USERS, json=_new(tree.community_a2), headers=admin), 409, "username_taken")


async def test_district_admin_stays_in_district_and_below_admin(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    assert_problem(await client.post(USERS, json=_new(tree.other_district), headers=admin), 403, "out_of_region")
    assert_problem(await client.post(USERS, json=_new(None, role="admin"), headers=admin), 403,
                   "role_not_assignable")
    assert_problem(await client.post(USERS, json=_new(tree.district, role="resident"), headers=admin), 403)


async def test_only_district_admins_and_admins_create_users(client, session, app, tree):
    for role in (Role.community_staff, Role.street_admin, Role.finance, Role.resident):
        _, headers = await user_for(session, app, tree, role)
        assert_problem(await client.post(USERS, json=_new(tree.community_a1), headers=headers), 403, "role_forbidden")
    assert_problem(await client.post(USERS, json=_new(tree.community_a1)), 401)
    _, root = await user_for(session, app, tree, Role.admin)
    r = await client.post(USERS, json=_new(None, role="admin", username="root2"), headers=root)
    assert r.status_code == 201, r.text
    assert_problem(await client.post(USERS, json=_new(tree.district, role="admin", username="root3"), headers=root),
                   422, "role_region_mismatch")


async def test_bad_user_bodies_are_422(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    cases = [_new(tree.community_a1, password="short"), _new(tree.community_a1, username="Has Spaces"),
             _new(tree.community_a1, password="aaaaaaaaaaaa"), _new(tree.community_a1, is_active=False),
             _new(None), _new(tree.community_a1, region_id=str(uuid.uuid4()))]
    for body in cases:
        assert_problem(await client.post(USERS, json=body, headers=admin), 422)


async def test_short_common_and_guessable_passwords_are_refused_in_chinese(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    weak = {"password12": "至少需要 12 个字符", "password1234": "太容易被猜到", "qwertyuiop123": "太容易被猜到",
            "aaaaaaaaaaaaaaaa": "太容易被猜到"}
    for password, says in weak.items():
        body = assert_problem(await client.post(USERS, json=_new(tree.community_a1, password=password), headers=admin),
                              422, "weak_password")
        assert says in body["detail"], body
    # The user's own name counts as known to a guesser: strong for anyone else, weak for wang.xm.
    named = _new(tree.community_a1, username="wang.xm", display_name="wangxiaoming", password="wangxiaoming1990")
    assert_problem(await client.post(USERS, json=named, headers=admin), 422, "weak_password")
    other = _new(tree.community_a1, username="li.qiang", display_name="李强", password="wangxiaoming1990")
    assert (await client.post(USERS, json=other, headers=admin)).status_code == 201
    target = (await client.post(USERS, json=_new(tree.community_a1), headers=admin)).json()
    assert_problem(await client.patch(f"{USERS}/{target['id']}", json={"password": "password12"}, headers=admin),
                   422, "weak_password")


async def test_list_and_get_stay_within_the_callers_region(client, session, app, tree):
    _, district = await user_for(session, app, tree, Role.district_admin)
    street_user, street = await user_for(session, app, tree, Role.street_admin)
    in_b = await add_user(session, Role.community_staff, tree.community_b1, username="in.street.b")
    outside = await add_user(session, Role.community_staff, tree.other_district, username="elsewhere")

    names = {u["username"] for u in (await client.get(USERS, headers=district)).json()["items"]}
    assert "in.street.b" in names and street_user.username in names and "elsewhere" not in names
    page = (await client.get(USERS, headers=street, params={"limit": 1})).json()
    assert page["total"] == 1 and page["items"][0]["username"] == street_user.username

    assert (await client.get(f"{USERS}/{in_b.id}", headers=district)).status_code == 200
    assert_problem(await client.get(f"{USERS}/{in_b.id}", headers=street), 403, "out_of_region")
    assert_problem(await client.get(f"{USERS}/{outside.id}", headers=district), 403, "out_of_region")
    assert_problem(await client.get(f"{USERS}/{uuid.uuid4()}", headers=district), 404, "user_not_found")
    _, staff = await user_for(session, app, tree, Role.community_staff)
    assert_problem(await client.get(USERS, headers=staff), 403)


async def test_update_renames_moves_deactivates_and_resets(client, session, app, tree):
    me, admin = await user_for(session, app, tree, Role.district_admin)
    target = await add_user(session, Role.community_staff, tree.community_a1, username="target.user")
    target_headers = await bearer(session, app, target)
    url = f"{USERS}/{target.id}"

    r = await client.patch(url, json={"display_name": "新名字", "region_id": str(tree.community_b2.id)}, headers=admin)
    assert r.status_code == 200 and r.json()["display_name"] == "新名字"
    assert r.json()["region_id"] == str(tree.community_b2.id)
    assert_problem(await client.patch(url, json={"region_id": str(tree.other_district.id)}, headers=admin), 403)
    assert_problem(await client.patch(url, json={"password": "tooshort"}, headers=admin), 422)
    assert_problem(await client.patch(url, json={"role": "admin"}, headers=admin), 422)

    r = await client.patch(url, json={"is_active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert_problem(await client.get("/api/v1/auth/me", headers=target_headers), 401)

    r = await client.patch(url, json={"is_active": True, "password": STRONG}, headers=admin)
    assert r.status_code == 200
    token = (await login(client, "target.user", STRONG)).json()["access_token"]
    assert (await client.get("/api/v1/auth/me", headers=auth(token))).status_code == 200

    assert_problem(await client.patch(f"{USERS}/{me.id}", json={"is_active": False}, headers=admin), 409)
    _, root = await user_for(session, app, tree, Role.admin)
    root_user_id = (await client.get("/api/v1/auth/me", headers=root)).json()["user_id"]
    assert_problem(await client.patch(f"{USERS}/{root_user_id}", json={"display_name": "x"}, headers=admin), 403)
    _, street = await user_for(session, app, tree, Role.street_admin)
    assert_problem(await client.patch(url, json={"display_name": "y"}, headers=street), 403, "role_forbidden")
