"""Arrange rows directly (fast) and mint tokens for any role; tests then act through HTTP."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.models import Organisation, OrganisationKind, Role, User
from app.auth.secrets import keyed_digest, mask_phone
from app.regions.models import Region, RegionLevel
from app.regions.rules import child_path


async def add_region(
    session: AsyncSession, name: str, level: RegionLevel, parent: Region | None = None, code: str | None = None
) -> Region:
    """One region node under parent (committed)."""
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
    await session.commit()
    return region


@dataclass
class Tree:
    """A district with two streets, each with two communities, one compound under community a1."""

    district: Region
    street_a: Region
    street_b: Region
    community_a1: Region
    community_a2: Region
    community_b1: Region
    community_b2: Region
    compound_a1: Region
    other_district: Region
    extra: dict = field(default_factory=dict)


async def make_tree(session: AsyncSession, prefix: str = "") -> Tree:
    """A small but complete region tree, plus a second district for out-of-region checks."""
    d = await add_region(session, f"{prefix}福田区", RegionLevel.district, code="440304")
    sa = await add_region(session, "莲花街道", RegionLevel.street, d)
    sb = await add_region(session, "香蜜湖街道", RegionLevel.street, d)
    a1 = await add_region(session, "彩田社区", RegionLevel.community, sa)
    a2 = await add_region(session, "景华社区", RegionLevel.community, sa)
    b1 = await add_region(session, "香岭社区", RegionLevel.community, sb)
    b2 = await add_region(session, "侨香社区", RegionLevel.community, sb)
    c = await add_region(session, "彩田村小区", RegionLevel.compound, a1)
    other = await add_region(session, f"{prefix}罗湖区", RegionLevel.district, code="440303")
    return Tree(d, sa, sb, a1, a2, b1, b2, c, other)


async def add_user(
    session: AsyncSession,
    role: Role,
    region: Region | None = None,
    *,
    username: str | None = None,
    phone: str | None = None,
    password_hash: str | None = None,
    organisation: Organisation | None = None,
    secret_key: str | None = None,
) -> User:
    """A user row (committed). Residents get a phone digest when phone and secret_key are given."""
    user = User(
        role=role,
        username=username,
        display_name=username or f"{role.value}-user",
        region_id=region.id if region else None,
        password_hash=password_hash,
        organisation_id=organisation.id if organisation else None,
    )
    if phone and secret_key:
        user.phone_digest = keyed_digest(secret_key, "phone", phone)
        user.phone_masked = mask_phone(phone)
    session.add(user)
    await session.commit()
    return user


async def add_organisation(
    session: AsyncSession, name: str, kind: OrganisationKind = OrganisationKind.assessor, region: Region | None = None
) -> Organisation:
    """An organisation row (committed)."""
    org = Organisation(name=name, kind=kind, region_id=region.id if region else None)
    session.add(org)
    await session.commit()
    return org


async def bearer(session: AsyncSession, app, user: User) -> dict[str, str]:
    """Authorization headers for user, from a fresh login session (no password round trip)."""
    tokens = await auth_service.start_session(session, app.state.settings, user)
    await session.commit()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


# Which region each staff role is bound to in the standard tree.
ROLE_REGION = {
    Role.community_staff: "community_a1",
    Role.street_admin: "street_a",
    Role.district_admin: "district",
    Role.finance: "district",
    Role.evaluator: "district",
    Role.supervisor: "district",
    Role.assessor: "district",
    Role.resident: "community_a1",
    Role.admin: None,
}


async def user_for(session: AsyncSession, app, tree: Tree, role: Role, **kw) -> tuple[User, dict[str, str]]:
    """A user of role bound to its standard region, and their auth headers."""
    attr = ROLE_REGION[role]
    region = getattr(tree, attr) if attr else None
    user = await add_user(
        session,
        role,
        region,
        username=kw.pop("username", f"{role.value}-{uuid.uuid4().hex[:6]}"),
        secret_key=app.state.settings.secret_key,
        **kw,
    )
    return user, await bearer(session, app, user)


def spy_on_fast_lane(app) -> list[tuple[str, bool]]:
    """Wrap every fast route's handler (app/fastlane; the middleware stack is rebuilt on the next request): the
    list says, for each request the fast lane was asked, the route's template and whether it answered."""
    from app.fastlane.lane import FastLane, FastRoute

    answered: list[tuple[str, bool]] = []

    def spied(route: FastRoute) -> FastRoute:
        async def spy(*args):
            response = await route.handler(*args)
            answered.append((route.template, response is not None))
            return response

        return FastRoute(route.method, route.template, spy)

    [lane] = [m for m in app.user_middleware if m.cls is FastLane]
    lane.kwargs["routes"] = tuple(spied(route) for route in lane.kwargs["routes"])
    app.middleware_stack = None
    return answered
