"""GET /me/data: the caller's own personal data, read by their user id and login phone's digest only."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AuthSession, Organisation, User, UserNotice
from app.auth.principal import Principal
from app.core import clock
from app.core.errors import Forbidden, Unauthorized
from app.deliberation.council_models import Council, CouncilParticipant
from app.deliberation.models import Representative
from app.evaluation.models import SatisfactionRating
from app.notices.models import NoticeItem, Objection
from app.notifications.models import Notification, NotificationContact, NotificationPreference, WechatSubscription
from app.organisations.models import OrganisationMember
from app.privacy.rules import NOT_INCLUDED
from app.proposals.models import Proposal
from app.regions.models import Region
from app.voting.models import VoteMark, VoterRollEntry, VotingRound
from app.wechat.models import WechatIdentity


async def account_of(session: AsyncSession, principal: Principal) -> User:
    """The caller's own account; API tokens belong to organisations, not people."""
    if principal.kind != "user":
        raise Forbidden("API 令牌属于机构，没有个人数据。", code="not_a_person")
    user = await session.get(User, principal.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthorized("账号已注销，请重新登录。", code="session_revoked")
    return user


async def _roll_entries(session: AsyncSession, digest: str | None) -> list[dict[str, Any]]:
    if not digest:
        return []
    rows = (
        await session.execute(
            select(VoterRollEntry, Region.name)
            .join(Region, Region.id == VoterRollEntry.community_id)
            .where(VoterRollEntry.phone_digest == digest)
            .order_by(VoterRollEntry.added_at)
        )
    ).all()
    out = []
    for entry, community_name in rows:
        marks = (
            await session.execute(
                select(VoteMark, VotingRound.title)
                .join(VotingRound, VotingRound.id == VoteMark.round_id)
                .where(VoteMark.roll_entry_id == entry.id)
                .order_by(VoteMark.last_cast_at)
            )
        ).all()
        ratings = await session.scalars(
            select(SatisfactionRating)
            .where(SatisfactionRating.roll_entry_id == entry.id)
            .order_by(SatisfactionRating.rated_at)
        )
        out.append(
            {
                "entry_id": entry.id,
                "community_id": entry.community_id,
                "community_name": community_name,
                "name": entry.name,
                "phone_masked": entry.phone_masked,
                "household": entry.household,
                "added_at": entry.added_at,
                "removed_at": entry.removed_at,
                "votes": [
                    {
                        "round_id": m.round_id,
                        "round_title": title,
                        "channel": m.channel.value,
                        "casts": m.casts,
                        "last_cast_at": m.last_cast_at,
                    }
                    for m, title in marks
                ],
                "ratings": [
                    {
                        "campaign_id": r.campaign_id,
                        "proposal_id": r.proposal_id,
                        "rating": r.rating,
                        "comment": r.comment,
                        "rated_at": r.rated_at,
                    }
                    for r in ratings
                ],
            }
        )
    return out


async def _reaching(session: AsyncSession, user_id) -> dict[str, Any]:
    """How the service reaches the person: messages sent or waiting on each channel, channel choices, whether a
    phone is kept for SMS, WeChat identities and one-time grants, organisation memberships."""
    messages = await session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
    )
    choices = await session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    wechat = await session.scalars(select(WechatIdentity).where(WechatIdentity.user_id == user_id))
    grants = await session.scalars(select(WechatSubscription).where(WechatSubscription.user_id == user_id))
    members = (
        await session.execute(
            select(OrganisationMember, Organisation.name)
            .join(Organisation, Organisation.id == OrganisationMember.organisation_id)
            .where(OrganisationMember.user_id == user_id)
            .order_by(OrganisationMember.joined_at)
        )
    ).all()
    return {
        "messages": [
            {
                "notification_id": n.id,
                "channel": n.channel.value,
                "kind": n.kind.value,
                "title": n.title,
                "body": n.body,
                "status": n.status.value,
                "created_at": n.created_at,
                "sent_at": n.sent_at,
                "read_at": n.read_at,
            }
            for n in messages
        ],
        "notification_preferences": {p.kind.value: list(p.channels) for p in choices},
        "sms_phone_kept": await session.scalar(
            select(NotificationContact.user_id).where(NotificationContact.user_id == user_id)
        )
        is not None,
        "wechat_identities": [
            {
                "app_id": w.app_id,
                "openid": w.openid,
                "unionid": w.unionid,
                "created_at": w.created_at,
                "last_login_at": w.last_login_at,
            }
            for w in wechat
        ],
        "wechat_subscriptions": [{"template_id": g.template_id, "remaining": g.remaining} for g in grants],
        "organisations": [
            {
                "organisation_id": m.organisation_id,
                "name": name,
                "role": m.role.value,
                "joined_at": m.joined_at,
                "left_at": m.left_at,
            }
            for m, name in members
        ],
    }


async def my_data(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Everything held about the caller, each part selected by the caller's own keys and nothing else."""
    user = await account_of(session, principal)
    region = await session.get(Region, user.region_id) if user.region_id else None
    proposals = await session.scalars(
        select(Proposal).where(Proposal.proposer_user_id == user.id).order_by(Proposal.created_at)
    )
    objections = (
        await session.execute(
            select(Objection, NoticeItem.title)
            .join(NoticeItem, NoticeItem.id == Objection.item_id)
            .where(Objection.submitted_by_user_id == user.id)
            .order_by(Objection.submitted_at)
        )
    ).all()
    notices = await session.scalars(
        select(UserNotice).where(UserNotice.user_id == user.id).order_by(UserNotice.created_at)
    )
    councils = (
        await session.execute(
            select(CouncilParticipant, Council.topic)
            .join(Council, Council.id == CouncilParticipant.council_id)
            .where(CouncilParticipant.user_id == user.id)
            .order_by(CouncilParticipant.created_at)
        )
    ).all()
    seats = await session.scalars(select(Representative).where(Representative.user_id == user.id))
    logins = await session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.created_at)
    )
    return {
        "generated_at": clock.now(),
        "profile": {
            "user_id": user.id,
            "role": user.role.value,
            "username": user.username,
            "display_name": user.display_name,
            "phone_masked": user.phone_masked,
            "region_id": user.region_id,
            "region_name": region.name if region else None,
            "organisation_id": user.organisation_id,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
        },
        "roll_entries": await _roll_entries(session, user.phone_digest),
        "proposals": [
            {
                "proposal_id": p.id,
                "community_id": p.community_id,
                "title": p.title,
                "state": p.state.value,
                "total_fen": p.total_fen,
                "created_at": p.created_at,
                "submitted_at": p.submitted_at,
            }
            for p in proposals
        ],
        "objections": [
            {
                "tracking_code": o.tracking_code,
                "notice_id": o.notice_id,
                "item_title": title,
                "reason": o.reason,
                "contact": o.contact,
                "status": o.status.value,
                "submitted_at": o.submitted_at,
                "reply": o.reply,
            }
            for o, title in objections
        ],
        "notifications": [{"notice_id": n.id, "message": n.message, "created_at": n.created_at} for n in notices],
        "councils": [
            {
                "council_id": c.council_id,
                "topic": topic,
                "name": c.name,
                "group": c.group,
                "selected": c.selected,
                "created_at": c.created_at,
            }
            for c, topic in councils
        ],
        "representative_seats": [
            {"representative_id": r.id, "community_id": r.community_id, "name": r.name, "active": r.active}
            for r in seats
        ],
        "sessions": [{"session_id": s.id, "created_at": s.created_at, "revoked_at": s.revoked_at} for s in logins],
        **await _reaching(session, user.id),
        "not_included": NOT_INCLUDED,
    }
