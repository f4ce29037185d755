"""Every SMS the service asked a provider to send: to whom (a keyed digest), what, the provider's id, the outcome."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, uuid_pk


class SmsStatus(StrEnum):
    """Where a message stands with its provider."""

    accepted = "accepted"  # the provider took it
    delivered = "delivered"  # a delivery receipt said it reached the phone
    undelivered = "undelivered"  # a receipt said it did not
    failed = "failed"  # the provider refused it
    capped = "capped"  # not sent: a daily spending cap was reached


class SmsMessage(SQLModel, table=True):
    """One send (or refusal to send) of one SMS; counted per day for the spending caps."""

    __tablename__ = "sms_message"
    __table_args__ = (
        Index("ix_sms_message_phone_day", "phone_digest", "created_at"),
        Index("ix_sms_message_purpose_day", "purpose", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    provider: str = Field(max_length=16)
    purpose: str = Field(max_length=40)  # "otp" or a notification kind
    phone_digest: str = Field(max_length=64)
    template_id: str = Field(max_length=64)
    provider_message_id: str | None = Field(default=None, max_length=100, index=True)
    status: SmsStatus = Field(sa_type=str_enum(SmsStatus, 16))
    error_code: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
