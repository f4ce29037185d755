"""/api/v1/me/notifications: the caller's inbox, read marks, channel choices, WeChat one-time grants."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.auth.deps import CurrentPrincipal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.notifications import service
from app.notifications.models import NotificationKind
from app.notifications.schemas import (
    NotificationOut,
    PreferenceIn,
    PreferenceOut,
    ReadAllOut,
    SubscriptionOut,
    SubscriptionsIn,
)

router = APIRouter(prefix="/api/v1/me", tags=["notifications"])


@router.get(
    "/notifications",
    response_model=Page[NotificationOut],
    summary="My notifications (in-app inbox)",
    responses=problems(400, 401, 422),
)
async def inbox(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    unread: Annotated[bool, Query(description="only unread ones")] = False,
) -> dict:
    """Messages delivered to the caller's inbox, newest first."""
    return await paginate(session, service.inbox_statement(principal, unread), page)


@router.post(
    "/notifications/read-all",
    response_model=ReadAllOut,
    summary="Mark all my notifications read",
    responses=problems(400, 401),
)
async def read_all(session: SessionDep, principal: CurrentPrincipal) -> ReadAllOut:
    """Every unread message becomes read."""
    return ReadAllOut(marked=await service.mark_all_read(session, principal))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark a notification read",
    responses=problems(400, 401, 404),
)
async def read_one(session: SessionDep, principal: CurrentPrincipal, notification_id: uuid.UUID):
    """Idempotent: reading it again keeps the first read time."""
    return await service.mark_read(session, principal, notification_id)


@router.get(
    "/notification-preferences",
    response_model=list[PreferenceOut],
    summary="My channels for each kind of notification",
    responses=problems(400, 401),
)
async def get_preferences(session: SessionDep, principal: CurrentPrincipal) -> list[dict]:
    """Every kind, with the caller's channels (the defaults until they choose)."""
    return await service.preferences(session, principal)


@router.put(
    "/notification-preferences/{kind}",
    response_model=PreferenceOut,
    summary="Choose the channels of one kind (empty list: stop it)",
    responses=problems(400, 401, 422),
)
async def put_preference(
    session: SessionDep, principal: CurrentPrincipal, kind: NotificationKind, body: PreferenceIn
) -> dict:
    """Channels: inbox, wechat, sms. SMS is quiet at night (settings.notify_quiet_hours)."""
    return await service.set_preference(session, principal, kind, body.channels)


@router.get(
    "/wechat/subscriptions",
    response_model=list[SubscriptionOut],
    summary="My WeChat subscribe-message grants",
    responses=problems(400, 401),
)
async def get_subscriptions(session: SessionDep, principal: CurrentPrincipal) -> list[dict]:
    """One-time grants left per template."""
    return await service.subscriptions(session, principal)


@router.post(
    "/wechat/subscriptions",
    response_model=list[SubscriptionOut],
    summary="Record the grants wx.requestSubscribeMessage returned",
    responses=problems(400, 401, 422),
)
async def post_subscriptions(
    request: Request, session: SessionDep, principal: CurrentPrincipal, body: SubscriptionsIn
) -> list[dict]:
    """Each accepted template id lets one message through; a message with no grant left is skipped, not sent."""
    return await service.grant_subscriptions(session, request.app.state.settings, principal, body.accepted)
