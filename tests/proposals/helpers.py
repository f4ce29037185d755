"""Arrange proposals through the API, as residents and staff would; shared by proposal and deliberation tests."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.models import OrganisationKind, Role
from tests.factories import Tree, add_organisation, add_user, bearer
from tests.programmes.helpers import API, World, make_world, ok

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


async def count(session: AsyncSession, model, *where) -> int:
    """Rows of a table (read fresh, ending the read transaction)."""
    n = await session.scalar(select(func.count()).select_from(model).where(*where))
    await session.commit()
    return n


async def audit_count(session: AsyncSession, action: str | None = None) -> int:
    """Audit events, of one action or all."""
    where = [AuditEvent.action == action] if action else []
    return await count(session, AuditEvent, *where)


# A 公益微创投 项目书's own fields (issue 27).
VENTURE_PLAN = {
    "target_group": "独居老人",
    "target_size": 60,
    "service_content": "每周上门探访与健康监测。",
    "service_hours": 400,
    "outputs": "探访2400人次，健康讲座12场。",
    "outcome_indicators": "服务对象满意度不低于90%，紧急求助响应不超过30分钟。",
}


def body(community_id, **over) -> dict:
    """A valid proposal body: 2 lines, 3 × 500.00 + 1 × 1,200.00 = 2,700.00 yuan."""
    data = {
        "community_id": str(community_id),
        "title": "楼道照明改造",
        "kind": "livelihood",
        "project_type": "goods",
        "category": "safety",
        "need": "3号楼楼道灯损坏多年，老人夜间出行不便。",
        "plan": "更换感应灯，由社区统一采购安装。",
        "benefits": "惠及3号楼120户居民。",
        "budget_lines": [
            {"item": "LED感应灯", "unit": "个", "quantity": 3, "unit_price_fen": 50_000},
            {"item": "安装费", "unit": "次", "quantity": 1, "unit_price_fen": 120_000},
        ],
    }
    data.update(over)
    return data


@dataclass
class PWorld:
    """An open programme (pilots a1, b1), residents of community a1 and staff around them."""

    world: World
    h: dict[str, dict[str, str]]
    users: dict[str, object] = field(default_factory=dict)

    @property
    def tree(self) -> Tree:
        """The region tree."""
        return self.world.tree


async def make_pworld(client, session, app, tree: Tree, rules: dict | None = None) -> PWorld:
    """The programme world plus residents: two of community a1, one speaking for a social organisation."""
    world = await make_world(client, session, app, tree, rules=rules, fund=False)
    h = dict(world.h)
    users = {}
    org = await add_organisation(session, f"彩虹社工-{uuid.uuid4().hex[:6]}", OrganisationKind.social_organisation)
    for name, kw in (
        ("resident", {}),
        ("resident2", {}),
        ("org_member", {"organisation": org}),
        ("resident_b1", {"region": tree.community_b1}),
    ):
        region = kw.pop("region", tree.community_a1)
        user = await add_user(session, Role.resident, region, username=f"{name}-{uuid.uuid4().hex[:6]}", **kw)
        users[name] = user
        h[name] = await bearer(session, app, user)
    h["staff_a2"] = await bearer(
        session,
        app,
        await add_user(session, Role.community_staff, tree.community_a2, username=f"staff-a2-{uuid.uuid4().hex[:6]}"),
    )
    return PWorld(world, h, users)


async def create(client, h, community_id, **over) -> dict:
    """A draft (201)."""
    return ok(await client.post(f"{API}/proposals", headers=h, json=body(community_id, **over)), 201)


async def submitted(client, pw: PWorld, **over) -> dict:
    """A submitted proposal of the resident for community a1."""
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id, **over)
    return ok(await client.post(f"{API}/proposals/{p['id']}/submit", headers=pw.h["resident"]))


async def move(client, h, proposal_id, to: str, reason: str | None = None):
    """POST a transition (the response, unchecked)."""
    return await client.post(
        f"{API}/proposals/{proposal_id}/transitions",
        headers=h,
        json={"to": to, **({"reason": reason} if reason else {})},
    )


async def in_deliberation(client, pw: PWorld, **over) -> dict:
    """A proposal screened, surveyed and put into deliberation."""
    p = await submitted(client, pw, **over)
    ok(await client.post(f"{API}/proposals/{p['id']}/screenings", headers=pw.h["staff_a1"], json={}), 201)
    ok(await move(client, pw.h["staff_a1"], p["id"], "under_survey"))
    return ok(await move(client, pw.h["staff_a1"], p["id"], "in_deliberation"))
