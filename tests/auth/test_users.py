"""Staff accounts: district admins manage staff in their district; nobody else manages anyone."""

import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role, UserNotice
from tests.auth.helpers import assert_problem, auth, login
from tests.factories import add_organisation, add_user, bearer, user_for

USERS = "/api/v1/users"
STRONG = "a-long-enough-secret"


def _new(region, role="community_staff", username="li.hua", **kw) -> dict:
    return {
        "username": username,
        "password": STRONG,
        "display_name": "李华",
        "role": role,
        "region_id": str(region.id) if region else None,
        **kw,
    }


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
    assert_problem(await client.post(USERS, json=_new(None, role="admin"), headers=admin), 403, "role_not_assignable")
    assert_problem(await client.post(USERS, json=_new(tree.district, role="resident"), headers=admin), 403)


async def test_only_district_admins_and_admins_create_users(client, session, app, tree):
    for role in (Role.community_staff, Role.street_admin, Role.finance, Role.resident):
        _, headers = await user_for(session, app, tree, role)
        assert_problem(await client.post(USERS, json=_new(tree.community_a1), headers=headers), 403, "role_forbidden")
    assert_problem(await client.post(USERS, json=_new(tree.community_a1)), 401)
    _, root = await user_for(session, app, tree, Role.admin)
    r = await client.post(USERS, json=_new(None, role="admin", username="root2"), headers=root)
    assert r.status_code == 201, r.text
    assert_problem(
        await client.post(USERS, json=_new(tree.district, role="admin", username="root3"), headers=root),
        422,
        "role_region_mismatch",
    )


async def test_bad_user_bodies_are_422(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    cases = [
        _new(tree.community_a1, password="short"),
        _new(tree.community_a1, username="Has Spaces"),
        _new(tree.community_a1, password="aaaaaaaaaaaa"),
        _new(tree.community_a1, is_active=False),
        _new(None),
        _new(tree.community_a1, region_id=str(uuid.uuid4())),
    ]
    for body in cases:
        assert_problem(await client.post(USERS, json=body, headers=admin), 422)


async def test_short_common_and_guessable_passwords_are_refused_in_chinese(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    weak = {
        "password12": "至少需要 12 个字符",
        "password1234": "太容易被猜到",
        "qwertyuiop123": "太容易被猜到",
        "aaaaaaaaaaaaaaaa": "太容易被猜到",
    }
    for password, says in weak.items():
        body = assert_problem(
            await client.post(USERS, json=_new(tree.community_a1, password=password), headers=admin),
            422,
            "weak_password",
        )
        assert says in body["detail"], body
    # The user's own name counts as known to a guesser: strong for anyone else, weak for wang.xm.
    named = _new(tree.community_a1, username="wang.xm", display_name="wangxiaoming", password="wangxiaoming1990")
    assert_problem(await client.post(USERS, json=named, headers=admin), 422, "weak_password")
    other = _new(tree.community_a1, username="li.qiang", display_name="李强", password="wangxiaoming1990")
    assert (await client.post(USERS, json=other, headers=admin)).status_code == 201
    target = (await client.post(USERS, json=_new(tree.community_a1), headers=admin)).json()
    assert_problem(
        await client.patch(f"{USERS}/{target['id']}", json={"password": "password12"}, headers=admin),
        422,
        "weak_password",
    )


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
    assert_problem(await client.patch(url, json={"role": "admin"}, headers=admin), 403, "role_not_assignable")

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


NOTICES = "/api/v1/auth/me/notices"


async def _count(session, model) -> int:
    return len((await session.scalars(select(model))).all())


async def test_only_admins_make_change_and_reset_finance_and_supervisors(client, session, app, tree):
    """Issue 24: a district admin could create a finance account, or reset one's password, and pay as finance."""
    _, district = await user_for(session, app, tree, Role.district_admin)
    finance = await add_user(session, Role.finance, tree.district, username="wu.kuaiji")
    supervisor = await add_user(session, Role.supervisor, tree.district, username="zheng.zhuren")
    staff = await add_user(session, Role.community_staff, tree.community_a1, username="xiao.zhou")
    before = (await _count(session, AuditEvent), await _count(session, UserNotice))
    for role in ("finance", "supervisor"):
        body = assert_problem(
            await client.post(USERS, json=_new(tree.district, role=role, username=f"x-{role}"), headers=district),
            403,
            "role_not_assignable",
        )
        assert "系统管理员" in body["detail"]
    for target in (finance, supervisor):
        for change in (
            {"password": STRONG},
            {"display_name": "改名"},
            {"is_active": False},
            {"role": "community_staff"},
        ):
            assert_problem(
                await client.patch(f"{USERS}/{target.id}", json=change, headers=district), 403, "role_not_assignable"
            )
    # Nor may a district admin turn staff they manage into finance or a supervisor.
    for role in ("finance", "supervisor"):
        assert_problem(
            await client.patch(f"{USERS}/{staff.id}", json={"role": role}, headers=district), 403, "role_not_assignable"
        )
    assert (await _count(session, AuditEvent), await _count(session, UserNotice)) == before
    assert (await login(client, "wu.kuaiji", STRONG)).status_code == 401

    _, root = await user_for(session, app, tree, Role.admin)
    r = await client.post(USERS, json=_new(tree.district, role="finance", username="new.finance"), headers=root)
    assert r.status_code == 201, r.text
    r = await client.patch(f"{USERS}/{finance.id}", json={"password": STRONG}, headers=root)
    assert r.status_code == 200, r.text
    assert (await login(client, "wu.kuaiji", STRONG)).status_code == 200


async def test_role_region_and_organisation_changes_are_audited_and_announced(client, session, app, tree):
    me, district = await user_for(session, app, tree, Role.district_admin)
    org = await add_organisation(session, "福田评估中心", region=tree.district)
    target = await add_user(session, Role.community_staff, tree.community_a1, username="li.si")
    target_headers = await bearer(session, app, target)
    assert (await client.get(NOTICES, headers=target_headers)).json()["total"] == 0
    r = await client.patch(
        f"{USERS}/{target.id}",
        headers=district,
        json={"role": "street_admin", "region_id": str(tree.street_a.id), "organisation_id": str(org.id)},
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "street_admin" and r.json()["organisation_id"] == str(org.id)

    page = (await client.get(NOTICES, headers=target_headers)).json()
    assert page["total"] == 1
    notice = page["items"][0]
    assert notice["changes"]["role"] == {"before": "community_staff", "after": "street_admin"}
    assert notice["changes"]["region"] == {"before": str(tree.community_a1.id), "after": str(tree.street_a.id)}
    assert notice["changes"]["organisation"] == {"before": None, "after": str(org.id)}
    for words in (
        "角色由「社区工作者」改为「街道管理员」",
        "所属区域由「彩田社区」改为「莲花街道」",
        "所属机构由「无」改为「福田评估中心」",
        me.display_name,
    ):
        assert words in notice["message"], notice["message"]
    # Nobody else reads it, and the audit trail has the change with the notice.
    _, other = await user_for(session, app, tree, Role.street_admin)
    assert (await client.get(NOTICES, headers=other)).json()["total"] == 0
    event = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.update", AuditEvent.entity_id == str(target.id))
        )
    ).one()
    assert event.before["role"] == "community_staff" and event.after["role"] == "street_admin"
    assert event.after["notice_id"] == notice["id"]

    # A password reset is announced too; a rename is not a change the user must be warned of.
    ok = await client.patch(f"{USERS}/{target.id}", headers=district, json={"password": STRONG})
    assert ok.status_code == 200
    await client.patch(f"{USERS}/{target.id}", headers=district, json={"display_name": "李四"})
    fresh = auth((await login(client, "li.si", STRONG)).json()["access_token"])
    items = (await client.get(NOTICES, headers=fresh)).json()["items"]
    assert len(items) == 2 and items[0]["changes"] == {"password": {"reset": True}}
    assert "密码已被重置" in items[0]["message"]
    assert_problem(
        await client.patch(f"{USERS}/{me.id}", json={"role": "street_admin"}, headers=district), 409, "self_role_change"
    )


async def test_organisations_bind_only_within_the_callers_region(client, session, app, tree):
    """Issue 24: a district admin bound a user to another district's assessor and read its scores."""
    _, district = await user_for(session, app, tree, Role.district_admin)
    ours = await add_organisation(session, "福田评估", region=tree.district)
    theirs = await add_organisation(session, "罗湖评估", region=tree.other_district)
    shared = await add_organisation(session, "全市评估")
    target = await add_user(session, Role.assessor, tree.district, username="assessor.one")
    before = (await _count(session, AuditEvent), await _count(session, UserNotice))
    for org, code in ((theirs, "out_of_region"), (shared, "organisation_without_region")):
        body = _new(tree.district, role="assessor", username="ping.gu", organisation_id=str(org.id))
        assert_problem(await client.post(USERS, json=body, headers=district), 403, code)
        assert_problem(
            await client.patch(f"{USERS}/{target.id}", json={"organisation_id": str(org.id)}, headers=district),
            403,
            code,
        )
    assert_problem(
        await client.patch(f"{USERS}/{target.id}", json={"organisation_id": str(uuid.uuid4())}, headers=district),
        422,
        "unknown_organisation",
    )
    assert (await _count(session, AuditEvent), await _count(session, UserNotice)) == before
    r = await client.post(
        USERS,
        json=_new(tree.district, role="assessor", username="ping.gu", organisation_id=str(ours.id)),
        headers=district,
    )
    assert r.status_code == 201, r.text
    # A user an admin bound to a cross-district organisation is the admin's to manage (a reset would hand it over).
    bound = await add_user(session, Role.assessor, tree.district, username="shared.assessor", organisation=shared)
    assert_problem(
        await client.patch(f"{USERS}/{bound.id}", json={"password": STRONG}, headers=district),
        403,
        "organisation_without_region",
    )
    _, root = await user_for(session, app, tree, Role.admin)
    r = await client.post(
        USERS,
        json=_new(tree.district, role="assessor", username="root.made", organisation_id=str(shared.id)),
        headers=root,
    )
    assert r.status_code == 201, r.text
