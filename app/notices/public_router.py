"""Public notice endpoints (居务公开): notices, objections by anyone, tracking codes. No login."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.auth.deps import OptionalPrincipal
from app.auth.secrets import keyed_digest
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText, QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.notices import objections_service, service
from app.notices.limits import limit_objections
from app.notices.schemas import NoticeRead, ObjectionCreate, ObjectionFiled, ObjectionTrack
from app.notices.views import notice_view
from app.ratelimit.client import client_ip, ip_key

router = APIRouter(prefix="/api/v1/public", tags=["notices"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/notices", response_model=Page[NoticeRead], summary="Public notice board", responses=problems(422))
async def public_notices(
    session: SessionDep, page: Paging, community_id: uuid.UUID | None = None, current: QueryBool | None = None
) -> dict:
    """Current (`current=true`) and past notices, newest first, with projects, objections and replies."""
    result = await paginate(session, service.list_statement(None, community_id, current), page)
    result["items"] = [await notice_view(session, n) for n in result["items"]]
    return result


@router.get("/notices/{notice_id}", response_model=NoticeRead, summary="A public notice", responses=problems(404, 422))
async def public_notice(notice_id: uuid.UUID, session: SessionDep) -> dict:
    """Projects (title, type, amount, funding sources, implementer, votes), window, how to object, replies."""
    return await notice_view(session, await service.get_notice(session, notice_id))


@router.post(
    "/notices/{notice_id}/objections",
    status_code=status.HTTP_201_CREATED,
    response_model=ObjectionFiled,
    summary="Object to a project under notice (异议)",
    responses=problems(401, 404, 409, 422, 429),
    dependencies=[Depends(limit_objections)],
)
async def file_objection(
    notice_id: uuid.UUID, body: ObjectionCreate, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> object:
    """Anyone, logged in or not, while the project's window is open; keep the tracking code to follow it."""
    client = keyed_digest(request.app.state.settings.secret_key, "objection-client", ip_key(client_ip(request)))
    user_id = principal.user_id if principal.kind == "user" else None
    return await objections_service.file_objection(
        session, principal.actor, user_id, client, notice_id, body.item_id, body.reason, body.contact
    )


@router.get(
    "/objections/{tracking_code}",
    response_model=ObjectionTrack,
    summary="Follow an objection",
    responses=problems(404, 422),
)
async def track(tracking_code: ParamText, session: SessionDep) -> dict:
    """Status and reply of the objection with this tracking code."""
    return await objections_service.track(session, tracking_code[:20])
