"""/api/v1/me: a person's own data (查阅、复制) and the deletion of a resident's account (删除)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.auth.deps import CurrentPrincipal
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import Forbidden, problems
from app.privacy import erasure_service, export_service, rules
from app.privacy.schemas import DeletionIn, DeletionOut, MyDataOut

router = APIRouter(prefix="/api/v1/me", tags=["privacy"])


async def _self_deletable(principal: CurrentPrincipal) -> Principal:
    """Only a resident deletes their own account (before the body is read: staff get 403, not 422)."""
    refusal = rules.deletion_refusal(principal.role) if principal.kind == "user" else "API 令牌由管理员吊销。"
    if refusal:
        raise Forbidden(refusal, code="account_not_self_deletable")
    return principal


@router.get(
    "/data",
    response_model=MyDataOut,
    summary="Download everything the service holds about me",
    responses=problems(401, 403),
)
async def my_data(session: SessionDep, principal: CurrentPrincipal) -> dict:
    """Profile, voter-roll entries by community (with where one voted, never how), proposals, objections filed
    while logged in (with tracking codes), notifications, councils, representative seats and logins."""
    return await export_service.my_data(session, principal)


@router.post(
    "/deletion", response_model=DeletionOut, summary="Delete my account (residents)", responses=problems(401, 403, 422)
)
async def delete_me(
    request: Request, session: SessionDep, principal: Annotated[Principal, Depends(_self_deletable)], body: DeletionIn
) -> dict:
    """Removes the account's personal data at once and ends every login; proposals stay under a pseudonym,
    ballots in open rounds stay counted but unlinked, the audit trail keeps the account's id."""
    return await erasure_service.delete_account(session, request.app.state.settings, principal)
