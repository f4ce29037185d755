"""Seed a demo district with streets, communities and one user per role (idempotent)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import Organisation, OrganisationKind, Role, User
from app.auth.secrets import hash_password, keyed_digest, mask_phone
from app.core.config import Settings
from app.regions.models import Region, RegionLevel
from app.regions.rules import child_path

DEMO_PASSWORD = "weishi-demo-2026"  # noqa: S105 (printed demo credential, development only)
DEMO_RESIDENT_PHONE = "13800138000"
DISTRICT = ("福田区", "440304")
STREETS = {
    "莲花街道": ["彩田社区", "景华社区", "福中社区"],
    "香蜜湖街道": ["香岭社区", "侨香社区", "竹园社区"],
}
COMPOUNDS = {"彩田社区": ["彩田村小区", "莲花北小区"]}

# username, role, region name (None = whole service)
DEMO_USERS = [
    ("admin", Role.admin, None),
    ("district", Role.district_admin, "福田区"),
    ("street", Role.street_admin, "莲花街道"),
    ("staff", Role.community_staff, "彩田社区"),
    ("finance", Role.finance, "福田区"),
    ("evaluator", Role.evaluator, "福田区"),
    ("supervisor", Role.supervisor, "福田区"),
]


async def _region(
    session: AsyncSession, name: str, level: RegionLevel, parent: Region | None, code: str | None = None
) -> Region:
    found = await session.scalar(
        select(Region).where(
            Region.name == name, Region.level == level, Region.parent_id == (parent.id if parent else None)
        )
    )
    if found:
        return found
    rid = uuid.uuid4()
    region = Region(
        id=rid,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        code=code,
        path=child_path(parent.path if parent else None, rid),
    )
    session.add(region)
    await session.flush()
    await audit.record(
        session, audit.SYSTEM, "region.create", "region", rid, after={"name": name}, region_path=region.path
    )
    return region


async def seed_demo(session: AsyncSession, settings: Settings) -> list[tuple[str, str, str]]:
    """Create the demo tree and users if absent; returns (username, role, region) rows to print."""
    district = await _region(session, DISTRICT[0], RegionLevel.district, None, DISTRICT[1])
    regions = {district.name: district}
    for street_name, communities in STREETS.items():
        street = await _region(session, street_name, RegionLevel.street, district)
        regions[street_name] = street
        for community_name in communities:
            community = await _region(session, community_name, RegionLevel.community, street)
            regions[community_name] = community
            for compound in COMPOUNDS.get(community_name, []):
                await _region(session, compound, RegionLevel.compound, community)
    rows = []
    password_hash = None
    for username, role, region_name in DEMO_USERS:
        existing = await session.scalar(select(User).where(User.username == username))
        if existing is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            region = regions.get(region_name) if region_name else None
            user = User(
                username=username,
                role=role,
                display_name=f"演示{username}",
                password_hash=password_hash,
                region_id=region.id if region else None,
            )
            session.add(user)
            await session.flush()
            await audit.record(
                session, audit.SYSTEM, "user.create", "user", user.id, after={"username": username, "role": role.value}
            )
        rows.append((username, role.value, region_name or "(all)"))
    assessor = await session.scalar(select(Organisation).where(Organisation.name == "深圳市社会组织评估中心"))
    if assessor is None:
        session.add(Organisation(name="深圳市社会组织评估中心", kind=OrganisationKind.assessor, region_id=district.id))
    digest = keyed_digest(settings.secret_key, "phone", DEMO_RESIDENT_PHONE)
    if await session.scalar(select(User).where(User.phone_digest == digest)) is None:
        session.add(
            User(
                role=Role.resident,
                display_name="演示居民",
                phone_digest=digest,
                phone_masked=mask_phone(DEMO_RESIDENT_PHONE),
                region_id=regions["彩田社区"].id,
            )
        )
    await session.flush()
    return rows
