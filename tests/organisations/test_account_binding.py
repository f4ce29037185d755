"""An account's organisation and its membership never disagree: staff binding a staff account through /users
open and end the membership in the same transaction; a resident's membership is theirs to change."""

import importlib.util
import uuid
from pathlib import Path

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.organisations.models import OrganisationMember
from app.organisations.rules import MemberRole
from tests.auth.helpers import assert_problem
from tests.factories import add_organisation, add_user
from tests.organisations.helpers import person, registered
from tests.programmes.helpers import API, ok

USERS = f"{API}/users"
_MIGRATION = Path(__file__).parents[2] / "alembic" / "versions" / "0034_membership_follows_binding.py"


async def _open(session, user_id) -> list[tuple[str, str]]:
    """The user's open memberships as (organisation id, role), read afresh."""
    rows = await session.execute(
        select(OrganisationMember.organisation_id, OrganisationMember.role).where(
            OrganisationMember.user_id == uuid.UUID(str(user_id)), OrganisationMember.left_at.is_(None)
        )
    )
    return [(str(o), r.value) for o, r in rows]


async def _events(session, action: str) -> int:
    return await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


async def test_binding_a_staff_account_opens_and_ends_its_membership(client, session, app, pw):
    district = pw.h["district"]
    first = (await add_organisation(session, "福田评估中心", region=pw.tree.district)).id
    second = (await add_organisation(session, "莲花评估所", region=pw.tree.district)).id
    target = (await add_user(session, Role.assessor, pw.tree.district, username="ping.gu")).id

    ok(await client.patch(f"{USERS}/{target}", headers=district, json={"organisation_id": str(first)}))
    assert await _open(session, target) == [(str(first), "member")]
    members = ok(await client.get(f"{API}/organisations/{first}/members", headers=district))["items"]
    assert [(m["user_id"], m["role"], m["left_at"]) for m in members] == [(str(target), "member", None)]
    assert await _events(session, "organisation.join") == 1

    # Moving to another organisation ends the first membership and opens the second.
    ok(await client.patch(f"{USERS}/{target}", headers=district, json={"organisation_id": str(second)}))
    assert await _open(session, target) == [(str(second), "member")]
    left = (await client.get(f"{API}/organisations/{first}/members", headers=district)).json()["items"]
    assert left[0]["left_at"] is not None
    # The same binding again changes nothing.
    ok(await client.patch(f"{USERS}/{target}", headers=district, json={"organisation_id": str(second)}))
    assert await _open(session, target) == [(str(second), "member")]

    # Unbinding ends it.
    r = ok(await client.patch(f"{USERS}/{target}", headers=district, json={"organisation_id": None}))
    assert r["organisation_id"] is None
    assert await _open(session, target) == []
    assert (await _events(session, "organisation.join"), await _events(session, "organisation.leave")) == (2, 2)


async def test_a_staff_account_created_bound_is_a_member(client, session, app, pw):
    org = (await add_organisation(session, "福田评估中心", region=pw.tree.district)).id
    body = {
        "username": "wang.ping",
        "password": "a-long-enough-secret",
        "display_name": "王平",
        "role": "assessor",
        "region_id": str(pw.tree.district.id),
        "organisation_id": str(org),
    }
    created = ok(await client.post(USERS, headers=pw.h["district"], json=body), 201)
    assert await _open(session, created["id"]) == [(str(org), "member")]


async def test_staff_cannot_bind_or_unbind_a_resident(client, session, app, pw):
    owner, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await registered(client, h, pw.tree.community_a1.id)
    stranger, _ = await person(session, app, pw.tree.community_a1, "13900000011")
    owner, stranger = owner.id, stranger.id
    joins = await _events(session, "organisation.join")
    for who, value in ((owner, None), (stranger, org["id"])):
        problem = assert_problem(
            await client.patch(f"{USERS}/{who}", headers=pw.h["district"], json={"organisation_id": value}),
            409,
            "resident_membership_not_by_staff",
        )
        assert "邀请" in problem["detail"]
    session.expire_all()
    assert (await session.get(User, owner)).organisation_id is not None
    assert (await session.get(User, stranger)).organisation_id is None
    assert await _open(session, owner) == [(org["id"], "owner")]
    assert await _open(session, stranger) == []
    assert await _events(session, "organisation.join") == joins


async def test_the_migration_reconciles_bindings_written_before(client, session, app, pw):
    """Migration 0034 on rows /users wrote before: a binding without membership gets one, a membership without
    binding ends; the organisation's owner, whose binding and membership agree, is left alone."""
    owner, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = uuid.UUID((await registered(client, h, pw.tree.community_a1.id))["id"])
    assessors = (await add_organisation(session, "福田评估中心", region=pw.tree.district)).id
    bound = (await add_user(session, Role.assessor, pw.tree.district, username="bound.only")).id
    unbound = (await add_user(session, Role.assessor, pw.tree.district, username="member.only")).id
    owner = owner.id
    (await session.get(User, bound)).organisation_id = assessors
    session.add(OrganisationMember(organisation_id=assessors, user_id=unbound, role=MemberRole.member))
    await session.commit()

    spec = importlib.util.spec_from_file_location("migration_0034", _MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    await session.run_sync(lambda s: migration.reconcile(s.connection()))
    await session.commit()
    assert await _open(session, bound) == [(str(assessors), "member")]
    assert await _open(session, unbound) == []
    assert await _open(session, owner) == [(str(org), "owner")]
    # Run again: nothing left to do.
    await session.run_sync(lambda s: migration.reconcile(s.connection()))
    assert await _open(session, bound) == [(str(assessors), "member")]
