"""Organisations: registered by district staff, listed to all staff (transactional)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import Organisation, OrganisationKind
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, require_within
from app.auth.users_schemas import OrganisationCreate
from app.common.pagination import paginate
from app.common.schemas import PageParams
from app.core.errors import Conflict, Unprocessable
from app.organisations import rules as organisation_rules


def check_credit_code(code: str) -> None:
    """422 invalid_credit_code, with the reason in Chinese, unless the code is valid."""
    problem = organisation_rules.credit_code_problem(code)
    if problem:
        raise Unprocessable(problem, code="invalid_credit_code", extra={"credit_code": code})


async def create_organisation(session: AsyncSession, principal: Principal, data: OrganisationCreate) -> Organisation:
    """Register an organisation, optionally based in a region inside the caller's."""
    if data.credit_code is not None:
        check_credit_code(data.credit_code)
    region = await region_or_422(session, data.region_id)
    if region is not None:
        require_within(principal, region.path)
    if await session.scalar(select(Organisation.id).where(Organisation.name == data.name)):
        raise Conflict("An organisation with that name exists.", code="organisation_exists")
    org = Organisation(name=data.name, kind=data.kind, region_id=data.region_id, credit_code=data.credit_code)
    session.add(org)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "organisation.create",
        "organisation",
        org.id,
        after={"name": org.name, "kind": org.kind.value, "region_id": str(org.region_id) if org.region_id else None},
        region_path=region.path if region else None,
    )
    return org


async def list_organisations(
    session: AsyncSession, params: PageParams, kind: OrganisationKind | None = None, name: str | None = None
) -> dict[str, Any]:
    """One page of organisations, by name."""
    stmt = select(Organisation)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    if name:
        stmt = stmt.where(Organisation.name.contains(name, autoescape=True))
    return await paginate(session, stmt.order_by(Organisation.name, Organisation.id), params)
