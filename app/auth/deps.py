"""Resolve the caller from the Authorization header; role gates used by every router."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.principal import ANONYMOUS, Principal
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthorized

# OAuth2 password flow so /docs offers a username/password login; API tokens use the same header.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, description="Staff: log in here. Assessors: paste an API token."
)


async def optional_principal(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller, or ANONYMOUS when no credentials were sent; bad credentials are a 401."""
    if not token:
        return ANONYMOUS
    principal = await auth_service.principal_from_bearer(request.app.state, session, token)
    if principal.kind == "token":
        await session.commit()  # an API token's last_used_at holds even if the request then fails
    request.state.principal = principal
    return principal


async def current_principal(principal: Annotated[Principal, Depends(optional_principal)]) -> Principal:
    """The caller; 401 when anonymous."""
    if principal.kind == "anonymous":
        raise Unauthorized("Log in or send an API token.", code="not_authenticated")
    return principal


OptionalPrincipal = Annotated[Principal, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):
    """A dependency that admits only the given roles (admin always passes)."""
    allowed = frozenset(roles) | {Role.admin}

    async def _gate(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"This operation needs one of the roles: {', '.join(sorted(r.value for r in allowed))}.",
                code="role_forbidden",
            )
        return principal

    _gate.allowed_roles = allowed  # read by the access-control walk test
    return _gate


def require_roles_then_release(*roles: Role):
    """require_roles(*roles) for routes that read on another session (ReplicaSessionDep, ReadSessionDep): once
    the caller is known, the request's primary session ends its read so its connection goes back to the pool
    before the route takes another. A request holding one pooled connection while it waits for a second lets
    concurrent requests starve each other: 64 finance reports on 2 × 20 connections waited until the pool
    timed out (503s, bench/load_run.py)."""
    gate = require_roles(*roles)

    async def _gate(session: SessionDep, principal: Annotated[Principal, Depends(gate)]) -> Principal:
        await session.commit()  # only the caller was read; an API token's last_used_at is already committed
        return principal

    _gate.allowed_roles = gate.allowed_roles  # type: ignore[attr-defined]  # read by the access-control walk test
    return _gate


def require_scope(scope: str):
    """A dependency for API-token operations: a token must carry the scope; users pass by role."""

    async def _gate(principal: CurrentPrincipal) -> Principal:
        if principal.kind == "token" and scope not in principal.scopes:
            raise Forbidden(f"This token lacks the scope {scope}.", code="scope_forbidden")
        return principal

    return _gate
