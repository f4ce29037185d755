"""Organisations: registered by district admins, looked up by any staff member."""

import uuid

from app.auth.models import Role
from tests.auth.helpers import assert_problem
from tests.factories import user_for

ORGS = "/api/v1/organisations"


async def test_district_admin_registers_and_staff_list(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    body = {
        "name": "彩田社工服务中心",
        "kind": "social_organisation",
        "region_id": str(tree.community_a1.id),
        "credit_code": "52440300MJL1234565",
    }
    r = await client.post(ORGS, json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["region_id"] == str(tree.community_a1.id)
    assert_problem(await client.post(ORGS, json=body, headers=admin), 409, "organisation_exists")
    r = await client.post(ORGS, json={"name": "全市评估中心", "kind": "assessor"}, headers=admin)
    assert r.status_code == 201

    _, staff = await user_for(session, app, tree, Role.community_staff)
    page = (await client.get(ORGS, headers=staff)).json()
    assert page["total"] == 2
    found = (await client.get(ORGS, headers=staff, params={"kind": "assessor", "name": "评估"})).json()["items"]
    assert [o["name"] for o in found] == ["全市评估中心"]


async def test_organisation_rules(client, session, app, tree):
    _, admin = await user_for(session, app, tree, Role.district_admin)
    outside = {"name": "罗湖机构", "kind": "other", "region_id": str(tree.other_district.id)}
    assert_problem(await client.post(ORGS, json=outside, headers=admin), 403, "out_of_region")
    unknown = {"name": "无名", "kind": "other", "region_id": str(uuid.uuid4())}
    assert_problem(await client.post(ORGS, json=unknown, headers=admin), 422, "unknown_region")
    assert_problem(
        await client.post(ORGS, json={"name": "x", "kind": "other", "credit_code": "123"}, headers=admin), 422
    )
    _, staff = await user_for(session, app, tree, Role.community_staff)
    assert_problem(await client.post(ORGS, json={"name": "y", "kind": "other"}, headers=staff), 403)
    _, resident = await user_for(session, app, tree, Role.resident)
    assert_problem(await client.get(ORGS, headers=resident), 403)
    assert_problem(await client.get(ORGS), 401)
