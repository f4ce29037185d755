"""/api/v1/api-tokens: machine credentials for organisations (third-party assessors)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from app.auth import tokens_service
from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.tokens_schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenOut
from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems

router = APIRouter(prefix="/api/v1/api-tokens", tags=["api-tokens"])

Issuer = Annotated[Principal, Depends(require_roles(Role.district_admin))]


@router.post(
    "",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API token (the secret is shown once)",
    responses=problems(401, 403, 422),
)
async def issue(request: Request, session: SessionDep, principal: Issuer, body: ApiTokenCreate) -> ApiTokenCreated:
    """Issue a scoped, expiring token to an organisation; store the returned `token` now."""
    token, secret = await tokens_service.issue_for(session, request.app.state.settings, principal, body)
    return ApiTokenCreated(**ApiTokenOut.model_validate(token).model_dump(), token=secret)


@router.get(
    "",
    response_model=Page[ApiTokenOut],
    summary="List API tokens (never their secrets)",
    responses=problems(401, 403, 422),
)
async def list_tokens(
    session: SessionDep,
    principal: Issuer,
    params: Annotated[PageParams, Depends(page_params)],
    organisation_id: Annotated[uuid.UUID | None, Query()] = None,
) -> dict:
    """Tokens issued within the caller's region, newest first."""
    return await tokens_service.list_for(session, principal, params, organisation_id=organisation_id)


@router.post(
    "/{token_id}/revoke",
    response_model=ApiTokenOut,
    summary="Revoke an API token",
    responses=problems(401, 403, 404, 422),
)
async def revoke(session: SessionDep, principal: Issuer, token_id: uuid.UUID) -> ApiTokenOut:
    """The token stops working at once."""
    return ApiTokenOut.model_validate(await tokens_service.revoke_for(session, principal, token_id))
