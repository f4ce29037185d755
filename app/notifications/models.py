"""Outbox tables: events written with the change that causes them, one delivery per recipient and channel,
residents' channel choices, WeChat one-time subscriptions and the SMS record."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk


class NotificationKind(StrEnum):
    """What happened, as a resident or official can switch it off."""

    round_opened = "round_opened"  # 投票开始
    round_closing = "round_closing"  # 投票即将截止
    notice_published = "notice_published"  # 社区公示
    objection_answered = "objection_answered"  # 异议答复
    proposal_moved = "proposal_moved"  # 提案进展
    evaluator_assigned = "evaluator_assigned"  # 评审任务 (evaluators)
    objection_waiting = "objection_waiting"  # 待处理异议 (community staff)
    milestone_overdue = "milestone_overdue"  # 节点逾期 (community staff)
    instalment_due = "instalment_due"  # 可拨付 (finance staff over the project)


class Channel(StrEnum):
    """How a notification reaches a person."""

    inbox = "inbox"  # the in-app list, GET /api/v1/me/notifications
    wechat = "wechat"  # a WeChat subscribe message (needs a one-time grant per template)
    sms = "sms"


class EventStatus(StrEnum):
    """An outbox event before and after it was turned into deliveries."""

    pending = "pending"
    expanded = "expanded"
    dropped = "dropped"  # its cause went away (a round called off before it opened)


class DeliveryStatus(StrEnum):
    """One delivery's state; `sending` means a worker holds it (its lease says until when)."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # the provider refused for good, or every attempt failed
    skipped = "skipped"  # opted out, no grant, no phone: said so in skip_reason
    # The worker died after handing the message to the provider and before recording its answer: perhaps
    # accepted, so never sent again (docs/notifications.md).
    unknown = "unknown"


class NotificationEvent(SQLModel, table=True):
    """Something that should reach people, written in the transaction of the change that causes it."""

    __tablename__ = "notification_event"
    __table_args__ = (Index("ix_notification_event_due", "status", "available_at"),)

    id: uuid.UUID = uuid_pk()
    kind: NotificationKind = Field(sa_type=str_enum(NotificationKind))
    subject_type: str = Field(max_length=40)
    subject_id: uuid.UUID
    # Everything the message needs, copied at the time of the change (titles, states, replies).
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Not before then: a round's opening, a day before its close.
    available_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    status: EventStatus = Field(default=EventStatus.pending, sa_type=str_enum(EventStatus, 16))
    expanded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    drop_reason: str | None = Field(default=None, max_length=200)
    # Events found by a sweep (an overdue milestone) carry a key, so a second sweep cannot raise them again.
    dedupe_key: str | None = Field(default=None, max_length=100, unique=True)
    created_at: datetime = created_at_field()


class Notification(SQLModel, table=True):
    """One message to one person on one channel; the unique key makes a second copy impossible."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", "channel"),
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_inbox", "user_id", "channel", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    event_id: uuid.UUID = Field(foreign_key="notification_event.id")
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    channel: Channel = Field(sa_type=str_enum(Channel, 16))
    kind: NotificationKind = Field(sa_type=str_enum(NotificationKind))
    title: str = Field(max_length=100)
    body: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=300)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=str_enum(DeliveryStatus, 16))
    skip_reason: str | None = Field(default=None, max_length=40)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    provider_message_id: str | None = Field(default=None, max_length=100)
    # Set, committed, just before the provider is called; cleared with the outcome. Still set when the lease has
    # run out: the provider may have accepted the message, so it is not sent again (status unknown).
    send_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A WeChat grant this delivery took and has not given back: a worker that died mid-send leaves it here for
    # the next attempt, so the grant is neither lost nor spent twice.
    grant_held: bool = False
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class NotificationPreference(SQLModel, table=True):
    """A person's channels for one kind; an empty list stops that kind. No row: the defaults (rules.py)."""

    __tablename__ = "notification_preference"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    kind: NotificationKind = Field(sa_type=str_enum(NotificationKind), primary_key=True)
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class NotificationContact(SQLModel, table=True):
    """Where SMS reaches a person: the phone they signed in with, encrypted (the digest alone cannot be dialled)."""

    __tablename__ = "notification_contact"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    phone_sealed: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WechatSubscription(SQLModel, table=True):
    """One-time subscribe-message grants a resident gave for a template (wx.requestSubscribeMessage 'accept'):
    each lets exactly one message through, so they are counted."""

    __tablename__ = "wechat_subscription"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    template_id: str = Field(max_length=64, primary_key=True)
    remaining: int = 0
    granted_total: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
