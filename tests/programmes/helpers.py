"""Arrange programmes, pilots and money through the API, as staff would; shared by programme and funds tests."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.funds.models import LedgerEntry
from app.regions.models import Region
from tests.factories import Tree, add_user, bearer

YEAR = 2025
API = "/api/v1"


async def headers_for(session: AsyncSession, app, role: Role, region: Region | None) -> dict[str, str]:
    """Auth headers of a fresh user of role bound to region."""
    user = await add_user(session, role, region, username=f"{role.value}-{uuid.uuid4().hex[:8]}")
    return await bearer(session, app, user)


async def ledger_count(session: AsyncSession) -> int:
    """Rows in the ledger (read fresh)."""
    n = await session.scalar(select(func.count()).select_from(LedgerEntry))
    await session.commit()  # ends the read transaction without expiring loaded rows
    return n


async def audit_count(session: AsyncSession, action: str) -> int:
    """Audit events of one action (read fresh)."""
    n = await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))
    await session.commit()  # ends the read transaction without expiring loaded rows
    return n


def ok(r, status: int = 200) -> dict:
    """The JSON body after asserting the status."""
    assert r.status_code == status, r.text
    return r.json()


def problem(r, status: int, code: str) -> dict:
    """The problem body after asserting status, media type and code."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    return body


@dataclass
class World:
    """An open programme with pilots in community a1 (street a) and b1 (street b), each funded by its subsidy."""

    tree: Tree
    h: dict[str, dict[str, str]]
    programme: dict
    pilot_a1: dict
    pilot_b1: dict
    subsidy_a1: dict
    subsidy_b1: dict
    extra: dict = field(default_factory=dict)


async def make_headers(session: AsyncSession, app, tree: Tree) -> dict[str, dict[str, str]]:
    """Headers for the usual cast, keyed by a short name."""
    cast = {
        "district": (Role.district_admin, tree.district),
        "other_district": (Role.district_admin, tree.other_district),
        "street_a": (Role.street_admin, tree.street_a),
        "street_b": (Role.street_admin, tree.street_b),
        "staff_a1": (Role.community_staff, tree.community_a1),
        "staff_b1": (Role.community_staff, tree.community_b1),
        "finance": (Role.finance, tree.district),
        "finance_a": (Role.finance, tree.street_a),
        "supervisor": (Role.supervisor, tree.district),
        "evaluator": (Role.evaluator, tree.district),
        "admin": (Role.admin, None),
    }
    return {name: await headers_for(session, app, role, region) for name, (role, region) in cast.items()}


async def create_programme(client, h, district_id, year: int = YEAR, **body) -> dict:
    """A draft programme (201)."""
    r = await client.post(
        f"{API}/programmes",
        headers=h,
        json={"district_id": str(district_id), "year": year, "name": f"{year}年度民生微实事", **body},
    )
    return ok(r, 201)


async def designate(client, h, programme_id, community_id) -> dict:
    """A pilot (201)."""
    r = await client.post(
        f"{API}/programmes/{programme_id}/pilots", headers=h, json={"community_id": str(community_id)}
    )
    return ok(r, 201)


async def sources_of(client, h, pilot_id) -> list[dict]:
    """The pilot's fund sources."""
    return ok(await client.get(f"{API}/pilots/{pilot_id}/fund-sources", headers=h))


async def funds_in(client, h, source_id, amount_fen: int, day: str = f"{YEAR}-03-01", *, supplement: bool = False):
    """POST funds in (the response, unchecked); supplement: beyond the source's plan (追加)."""
    return await client.post(
        f"{API}/fund-sources/{source_id}/funds-in",
        headers=h,
        json={
            "amount_fen": amount_fen,
            "entry_date": day,
            "document_ref": "福民〔2025〕1号",
            **({"supplement": True} if supplement else {}),
        },
    )


DECISION = {"decision_document_ref": "福民〔2025〕8号"}


async def commit(
    client,
    h,
    pilot_id,
    amount_fen: int,
    *,
    project_id=None,
    day: str = f"{YEAR}-04-01",
    category: str = "environment",
    project_type: str = "services",
    title: str = "楼道微改造",
    decision: dict | None = None,
):
    """POST a direct commitment on a district document by default (the response, unchecked)."""
    return await client.post(
        f"{API}/pilots/{pilot_id}/commitments",
        headers=h,
        json={
            "project_id": str(project_id or uuid.uuid4()),
            "project_title": title,
            "category": category,
            "project_type": project_type,
            "amount_fen": amount_fen,
            "entry_date": day,
            **(DECISION if decision is None else decision),
        },
    )


async def movement(client, h, kind: str, project_id, amount_fen: int, day: str = f"{YEAR}-05-01"):
    """POST a disbursement or return (the response, unchecked)."""
    return await client.post(
        f"{API}/funds/projects/{project_id}/{kind}", headers=h, json={"amount_fen": amount_fen, "entry_date": day}
    )


async def balance(client, h, pilot_id) -> dict:
    """The pilot's balance."""
    return ok(await client.get(f"{API}/pilots/{pilot_id}/balance", headers=h))


async def make_world(client, session, app, tree: Tree, *, rules: dict | None = None, fund: bool = True) -> World:
    """Programme of YEAR, pilots a1 and b1, opened; each subsidy received in full when fund is set."""
    h = await make_headers(session, app, tree)
    programme = await create_programme(client, h["district"], tree.district.id, **({"rules": rules} if rules else {}))
    pid = programme["id"]
    a1 = await designate(client, h["street_a"], pid, tree.community_a1.id)
    b1 = await designate(client, h["street_b"], pid, tree.community_b1.id)
    programme = ok(await client.post(f"{API}/programmes/{pid}/open", headers=h["district"]))
    sub_a1 = (await sources_of(client, h["district"], a1["id"]))[0]
    sub_b1 = (await sources_of(client, h["district"], b1["id"]))[0]
    if fund:
        ok(await funds_in(client, h["district"], sub_a1["id"], sub_a1["planned_fen"]), 201)
        ok(await funds_in(client, h["district"], sub_b1["id"], sub_b1["planned_fen"]), 201)
    return World(tree, h, programme, a1, b1, sub_a1, sub_b1)
