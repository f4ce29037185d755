"""A resident's WeChat identity (openid per mini-program) and the shared stable access token."""

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, utcnow, uuid_pk


class WechatIdentity(SQLModel, table=True):
    """An openid of one mini-program bound to a resident; the session key is never kept."""

    __tablename__ = "wechat_identity"
    __table_args__ = (UniqueConstraint("app_id", "openid"),)

    id: uuid.UUID = uuid_pk()
    app_id: str = Field(max_length=32)
    openid: str = Field(max_length=64)
    unionid: str | None = Field(default=None, max_length=64, index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WechatAccessToken(SQLModel, table=True):
    """The app's stable access token, cached for every worker (WeChat limits how often it may be fetched)."""

    __tablename__ = "wechat_access_token"

    app_id: str = Field(max_length=32, primary_key=True)
    token_sealed: str = Field(max_length=1000)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
