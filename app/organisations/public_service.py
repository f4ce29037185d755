"""The public side of organisations (居务公开): name, credit code, whether verified, projects and grades;
never contacts, legal representatives' details beyond the register, or members."""

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Organisation, OrganisationKind
from app.common.pagination import paginate
from app.common.schemas import PageParams
from app.core.errors import NotFound
from app.organisations import record
from app.organisations.rules import OrganisationStatus

PUBLIC_KINDS = (OrganisationKind.social_organisation, OrganisationKind.community_foundation)


def _statement() -> Select:
    return select(Organisation).where(Organisation.kind.in_(PUBLIC_KINDS)).order_by(Organisation.name, Organisation.id)


def shape(org: Organisation, projects: list[dict[str, Any]]) -> dict[str, Any]:
    """The public fields of an organisation and of its projects."""
    return {
        "id": org.id,
        "name": org.name,
        "credit_code": org.credit_code,
        "status": org.status,
        "verified": org.status == OrganisationStatus.verified,
        "projects": [
            {k: p[k] for k in ("proposal_id", "title", "year", "role", "state", "total_fen", "grade")} for p in projects
        ],
    }


async def public_page(session: AsyncSession, params: PageParams) -> dict[str, Any]:
    """One page of social organisations with their projects."""
    page = await paginate(session, _statement(), params)
    page["items"] = [shape(org, await record.projects(session, org.id, public=True)) for org in page["items"]]
    return page


async def public_organisation(session: AsyncSession, organisation_id: uuid.UUID) -> dict[str, Any]:
    """One social organisation as the public sees it, or 404."""
    org = await session.scalar(_statement().where(Organisation.id == organisation_id))
    if org is None:
        raise NotFound("没有这个机构。", code="organisation_not_found")
    return shape(org, await record.projects(session, org.id, public=True))
