"""Bodies of /api/v1/me/data and /api/v1/me/deletion: what the service holds about the caller, and what a
deletion removed and kept."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.common.schemas import WriteModel


class ProfileOut(BaseModel):
    """The account itself; the phone number is not stored, only its mask and a keyed digest."""

    user_id: uuid.UUID
    role: str
    username: str | None
    display_name: str
    phone_masked: str | None
    region_id: uuid.UUID | None
    region_name: str | None
    organisation_id: uuid.UUID | None
    created_at: datetime
    last_login_at: datetime | None


class VoteMarkOut(BaseModel):
    """That the person voted in a round, and how: the ballot's choices are not linked to them."""

    round_id: uuid.UUID
    round_title: str
    channel: str
    casts: int
    last_cast_at: datetime


class RatingOut(BaseModel):
    """A satisfaction rating the person gave (满意度)."""

    campaign_id: uuid.UUID
    proposal_id: uuid.UUID
    rating: int
    comment: str | None
    rated_at: datetime


class RollEntryOut(BaseModel):
    """An entry on a community's voter roll matched by the login phone, kept by the community's staff."""

    entry_id: uuid.UUID
    community_id: uuid.UUID
    community_name: str
    name: str
    phone_masked: str
    household: str | None
    added_at: datetime
    removed_at: datetime | None
    votes: list[VoteMarkOut]
    ratings: list[RatingOut]


class ProposalOut(BaseModel):
    """A proposal the person made."""

    proposal_id: uuid.UUID
    community_id: uuid.UUID
    title: str
    state: str
    total_fen: int
    created_at: datetime
    submitted_at: datetime | None


class ObjectionOut(BaseModel):
    """An objection the person filed while logged in, with its tracking code and the contact they gave."""

    tracking_code: str
    notice_id: uuid.UUID
    item_title: str
    reason: str
    contact: str | None
    status: str
    submitted_at: datetime
    reply: str | None


class NotificationOut(BaseModel):
    """A notice left for the person (a change others made to their account)."""

    notice_id: uuid.UUID
    message: str
    created_at: datetime


class CouncilEntryOut(BaseModel):
    """A council the person registered for or was invited to."""

    council_id: uuid.UUID
    topic: str
    name: str
    group: str | None
    selected: bool
    created_at: datetime


class RepresentativeOut(BaseModel):
    """A seat on a community's roster of resident representatives linked to the account."""

    representative_id: uuid.UUID
    community_id: uuid.UUID
    name: str
    active: bool


class LoginSessionOut(BaseModel):
    """A login (its refresh tokens are stored only as digests)."""

    session_id: uuid.UUID
    created_at: datetime
    revoked_at: datetime | None


class MessageOut(BaseModel):
    """A message to the person on one channel (inbox, WeChat, SMS), sent or waiting."""

    notification_id: uuid.UUID
    channel: str
    kind: str
    title: str
    body: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class WechatIdentityOut(BaseModel):
    """A mini-program's openid bound to the account (the session key is never kept)."""

    app_id: str
    openid: str
    unionid: str | None
    created_at: datetime
    last_login_at: datetime | None


class WechatGrantOut(BaseModel):
    """One-time subscribe-message grants the person gave for a template, and how many are unspent."""

    template_id: str
    remaining: int


class MembershipOut(BaseModel):
    """A social organisation the person belongs or belonged to."""

    organisation_id: uuid.UUID
    name: str
    role: str
    joined_at: datetime
    left_at: datetime | None


class MyDataOut(BaseModel):
    """Everything the service holds about the caller (个人信息查阅、复制), and nothing about anyone else."""

    generated_at: datetime
    profile: ProfileOut
    roll_entries: list[RollEntryOut]
    proposals: list[ProposalOut]
    objections: list[ObjectionOut]
    notifications: list[NotificationOut]
    councils: list[CouncilEntryOut]
    representative_seats: list[RepresentativeOut]
    sessions: list[LoginSessionOut]
    messages: list[MessageOut] = Field(description="notifications on every channel, sent or waiting")
    notification_preferences: dict[str, list[str]] = Field(description="channels chosen per kind (none: defaults)")
    sms_phone_kept: bool = Field(description="whether the phone is kept (encrypted) to send SMS notifications")
    wechat_identities: list[WechatIdentityOut]
    wechat_subscriptions: list[WechatGrantOut]
    organisations: list[MembershipOut]
    not_included: list[str] = Field(description="what the service holds but cannot or does not link to the person")


class DeletionIn(WriteModel):
    """A resident's request to delete their account; `confirm` must be true."""

    confirm: Literal[True] = Field(description="true: delete my account now (it cannot be undone)")


class DeletionOut(BaseModel):
    """What the deletion removed, anonymised and kept, and why."""

    deleted_at: datetime
    pseudonym: str = Field(description="the name the proposals and the audit trail show for the account from now on")
    proposals_kept: int
    objections_unlinked: int
    ballots_unlinked: int = Field(description="ballots in rounds still open: they stay counted, no longer linked")
    notifications_deleted: int
    sessions_ended: int
    roll_entries_kept: int
    message: str
