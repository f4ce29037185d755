"""/api/v1/users: staff accounts within the caller's region."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from app.auth import users_service
from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.users_schemas import UserCreate, UserOut, UserUpdate
from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.common.strict import QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency

router = APIRouter(prefix="/api/v1/users", tags=["users"])

Manager = Annotated[Principal, Depends(require_roles(Role.district_admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.street_admin, Role.district_admin))]


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff user",
    responses=problems(401, 403, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def create_user(session: SessionDep, principal: Manager, idem: Idempotency, body: UserCreate) -> JSONResponse:
    """District admins create staff in their district (never admins); admins anywhere."""
    user = await users_service.create_user(session, principal, body)
    return await idem.respond(session, status.HTTP_201_CREATED, UserOut.model_validate(user))


@router.get("", response_model=Page[UserOut], summary="List users in my region", responses=problems(401, 403, 422))
async def list_users(
    session: SessionDep,
    principal: Reader,
    params: Annotated[PageParams, Depends(page_params)],
    role: Annotated[Role | None, Query()] = None,
    is_active: Annotated[QueryBool | None, Query()] = None,
) -> dict:
    """Users bound to the caller's region or below, oldest first."""
    return await users_service.list_users(session, principal, params, role=role, is_active=is_active)


@router.get("/{user_id}", response_model=UserOut, summary="Get a user", responses=problems(401, 403, 404, 422))
async def get_user(session: SessionDep, principal: Reader, user_id: uuid.UUID) -> UserOut:
    """One user; 403 when outside the caller's region."""
    user, _ = await users_service.get_user(session, principal, user_id)
    return UserOut.model_validate(user)


@router.patch(
    "/{user_id}", response_model=UserOut, summary="Update a user", responses=problems(401, 403, 404, 409, 422)
)
async def update_user(session: SessionDep, principal: Manager, user_id: uuid.UUID, body: UserUpdate) -> UserOut:
    """Rename, (de)activate, move within the caller's region or reset the password (ends their sessions)."""
    return UserOut.model_validate(await users_service.update_user(session, principal, user_id, body))
