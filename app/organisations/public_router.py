"""Public organisation endpoints (居务公开): no login, no personal data."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.core.db import ReadSessionDep
from app.core.errors import problems
from app.organisations import public_service
from app.organisations.schemas import PublicOrganisation

router = APIRouter(prefix="/api/v1/public", tags=["organisations"])


@router.get(
    "/organisations",
    response_model=Page[PublicOrganisation],
    summary="Public list of social organisations",
    responses=problems(422),
)
async def public_organisations(session: ReadSessionDep, page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """By name: credit code, verified or not, and the projects each proposed or implemented, with grades."""
    return await public_service.public_page(session, page)


@router.get(
    "/organisations/{organisation_id}",
    response_model=PublicOrganisation,
    summary="Public view of a social organisation",
    responses=problems(404, 422),
)
async def public_organisation(organisation_id: uuid.UUID, session: ReadSessionDep) -> dict:
    """One organisation and its projects (submitted ones only)."""
    return await public_service.public_organisation(session, organisation_id)
