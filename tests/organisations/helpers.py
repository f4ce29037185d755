"""Helpers of the organisation tests: residents with phones, a registration body, a registered organisation."""

import uuid

from app.auth.models import Role
from tests.factories import add_user, bearer
from tests.programmes.helpers import API, ok

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CODE = "52440304MJL000100E"


async def person(session, app, region, phone: str) -> tuple[object, dict[str, str]]:
    """A resident with a login phone, and their headers."""
    user = await add_user(
        session,
        Role.resident,
        region,
        username=f"r-{uuid.uuid4().hex[:8]}",
        phone=phone,
        secret_key=app.state.settings.secret_key,
    )
    return user, await bearer(session, app, user)


def registration(area_id, **over) -> dict:
    """A valid self-registration body."""
    return {
        "name": "彩虹社工服务中心",
        "credit_code": CODE,
        "registration_authority": "福田区民政局",
        "legal_representative": "吴敏",
        "contact_name": "吴敏",
        "contact_phone": "13900000007",
        "service_area_id": str(area_id),
        **over,
    }


async def registered(client, h, area_id, **over) -> dict:
    """A pending organisation the caller owns (201)."""
    return ok(await client.post(f"{API}/organisations/register", headers=h, json=registration(area_id, **over)), 201)


async def upload(client, h, org_id):
    """POST a registration document (the response, unchecked)."""
    return await client.post(
        f"{API}/organisations/{org_id}/documents", headers=h, files={"file": ("登记证书.pdf", PDF, "application/pdf")}
    )


async def verified(client, pw, h, **over) -> dict:
    """An organisation the caller owns, its certificate on file, verified by street a."""
    org = await registered(client, h, pw.tree.community_a1.id, **over)
    ok(await upload(client, h, org["id"]), 201)
    return ok(await client.post(f"{API}/organisations/{org['id']}/verify", headers=pw.h["street_a"], json={}))
