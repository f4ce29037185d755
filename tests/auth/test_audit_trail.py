"""Every identity change leaves one event in the audit chain, and the chain still verifies."""

from sqlalchemy import select

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.audit.sealer import seal_pending
from app.auth.models import Role
from tests.auth.helpers import auth
from tests.factories import add_organisation, user_for


async def test_identity_changes_are_audited(client, session, app, tree, otp_sender):
    admin_user, admin = await user_for(session, app, tree, Role.district_admin)
    await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "li.hua",
            "password": "a-long-enough-secret",
            "display_name": "李华",
            "role": "community_staff",
            "region_id": str(tree.community_a1.id),
        },
    )
    org = await add_organisation(session, "评估机构", region=tree.district)
    token = (
        await client.post(
            "/api/v1/api-tokens",
            headers=admin,
            json={"organisation_id": str(org.id), "name": "t", "scopes": ["reports:read"]},
        )
    ).json()
    await client.post(f"/api/v1/api-tokens/{token['id']}/revoke", headers=admin)
    await client.post("/api/v1/auth/otp/request", json={"phone": "13912345678"})
    code = otp_sender.last_code("13912345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    await client.post("/api/v1/auth/otp/verify", json={"phone": "13912345678", "code": wrong})
    tokens = (await client.post("/api/v1/auth/otp/verify", json={"phone": "13912345678", "code": code})).json()
    await client.post("/api/v1/auth/logout", headers=auth(tokens["access_token"]))

    await seal_pending(app.state.sessionmaker)
    events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
    assert [e.action for e in events] == [
        "user.create",
        "api_token.issue",
        "api_token.revoke",
        "auth.otp_request",
        "auth.otp_failed",
        "auth.otp_login",
        "auth.logout",
    ]
    assert events[0].actor_id == str(admin_user.id) and events[0].region_path == tree.community_a1.path
    assert "13912345678" not in str([(e.before, e.after, e.actor_label) for e in events])
    checked, broken = await audit.verify(session)
    assert broken is None and checked == len(events)
