"""/api/v1/organisations: social organisations, assessors and other bodies."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from app.auth import organisations_service
from app.auth.deps import require_roles
from app.auth.models import OrganisationKind, Role
from app.auth.principal import STAFF_ROLES, Principal
from app.auth.users_schemas import OrganisationCreate, OrganisationOut
from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency

router = APIRouter(prefix="/api/v1/organisations", tags=["organisations"])


@router.post(
    "",
    response_model=OrganisationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register an organisation",
    responses=problems(401, 403, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def create_organisation(
    session: SessionDep,
    body: OrganisationCreate,
    principal: Annotated[Principal, Depends(require_roles(Role.district_admin))],
    idem: Idempotency,
) -> JSONResponse:
    """District admins and admins register organisations (based in their region, or region-free)."""
    organisation = await organisations_service.create_organisation(session, principal, body)
    return await idem.respond(session, status.HTTP_201_CREATED, OrganisationOut.model_validate(organisation))


@router.get("", response_model=Page[OrganisationOut], summary="List organisations", responses=problems(401, 403, 422))
async def list_organisations(
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    _: Annotated[Principal, Depends(require_roles(*STAFF_ROLES))],
    kind: Annotated[OrganisationKind | None, Query()] = None,
    name: Annotated[ParamText | None, Query(max_length=100, description="part of the name")] = None,
) -> dict:
    """Every organisation, by name; any staff member may look them up."""
    return await organisations_service.list_organisations(session, params, kind=kind, name=name)
