"""Bodies of /api/v1/me/notifications, notification preferences and WeChat subscriptions."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.common.schemas import ReadModel, WriteModel
from app.notifications.models import Channel, NotificationKind


class NotificationOut(ReadModel):
    """One message in the caller's inbox."""

    id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(BaseModel):
    """How many messages a read-all marked."""

    marked: int = Field(ge=0)


class PreferenceOut(BaseModel):
    """The caller's channels for one kind (an empty list: that kind is stopped)."""

    kind: NotificationKind
    label: str
    channels: list[Channel]
    default: bool = Field(description="true while the caller has not chosen, and the defaults apply")


class PreferenceIn(WriteModel):
    """Channels for one kind; [] stops it."""

    channels: list[Channel] = Field(max_length=3)


class SubscriptionsIn(WriteModel):
    """The template ids wx.requestSubscribeMessage reported as 'accept': each is one message WeChat lets through."""

    accepted: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=10)


class SubscriptionOut(BaseModel):
    """Grants left per template."""

    template_id: str
    remaining: int
