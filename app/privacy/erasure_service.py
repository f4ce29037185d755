"""POST /me/deletion: a resident deletes their account (个人信息删除), in one transaction.

Removed: the phone's digest and mask, username, password, login sessions and refresh tokens, one-time codes,
account notices, stored answers of their requests, the contact of their objections, and everything that
reaches them: the sealed phone kept for SMS, WeChat identities and subscriptions, channel choices, their
notifications (inbox and undelivered), organisation memberships and invitations to their phone. Anonymised: the account
row itself (proposals and the audit trail keep its id, a pseudonym from now on, and show `pseudonym()`).
Unlinked: councils, representative seats, objections, and their ballots in rounds still open, which stay
counted but can no longer be found from the voter. Kept: the communities' voter rolls and vote marks (the
community's register, kept by its staff) and the audit trail (append-only, required by the 台账 rule)."""

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import AuthSession, OtpCode, RefreshToken, User, UserNotice
from app.auth.principal import Principal
from app.core import clock
from app.core.config import Settings
from app.core.errors import Forbidden
from app.deliberation.council_models import CouncilParticipant
from app.deliberation.models import Representative
from app.idempotency.models import IdempotencyRecord
from app.notices.models import Objection
from app.notifications.models import Notification, NotificationContact, NotificationPreference, WechatSubscription
from app.organisations.models import OrganisationInvitation, OrganisationMember
from app.privacy import rules
from app.privacy.export_service import account_of
from app.proposals.models import Proposal
from app.voting import secrecy
from app.voting.models import Ballot, RoundStatus, VoteMark, VoterRollEntry, VotingRound
from app.wechat.models import WechatIdentity


async def _unlink_open_ballots(session: AsyncSession, settings: Settings, entry_ids: list[uuid.UUID]) -> int:
    """Erase the voter tag of the person's own ballots in rounds not yet closed: each ballot stays counted,
    and nobody (the service included) can find it from the voter again. A household's ballot (一户一票) is
    the household's, not the person's, and stays reachable by the other members."""
    if not entry_ids:
        return 0
    key = secrecy.ballot_key(settings.secret_key)
    marks = (
        await session.execute(
            select(VoteMark.round_id, VoteMark.voter_key)
            .join(VotingRound, VotingRound.id == VoteMark.round_id)
            .where(VoteMark.roll_entry_id.in_(entry_ids), VotingRound.status == RoundStatus.scheduled)
        )
    ).all()
    unlinked = 0
    for round_id, voter_key in marks:
        if not voter_key.startswith("r:"):
            continue
        result = await session.execute(
            update(Ballot)
            .where(Ballot.round_id == round_id, Ballot.voter_tag == secrecy.voter_tag(key, round_id, voter_key))
            .values(voter_tag=None)
        )
        unlinked += result.rowcount or 0
    return unlinked


async def _forget_how_to_reach(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The sealed phone, WeChat openids and grants, channel choices and every notification addressed to the
    person (an undelivered SMS or WeChat copy would otherwise still reach them): the number of notifications."""
    for table in (NotificationContact, WechatIdentity, WechatSubscription, NotificationPreference):
        await session.execute(delete(table).where(table.user_id == user_id))
    return (await session.execute(delete(Notification).where(Notification.user_id == user_id))).rowcount or 0


async def _leave_organisations(session: AsyncSession, user_id: uuid.UUID, digest: str | None, now) -> None:
    """Memberships end (the organisation keeps its history of projects, not the person) and invitations to the
    person's phone go."""
    await session.execute(
        update(OrganisationMember)
        .where(OrganisationMember.user_id == user_id, OrganisationMember.left_at.is_(None))
        .values(left_at=now)
    )
    if digest:
        await session.execute(delete(OrganisationInvitation).where(OrganisationInvitation.phone_digest == digest))


async def delete_account(session: AsyncSession, settings: Settings, principal: Principal) -> dict[str, Any]:
    """Delete the caller's account as the module says; answers what was removed and kept."""
    user = await account_of(session, principal)
    refusal = rules.deletion_refusal(user.role)
    if refusal:
        raise Forbidden(refusal, code="account_not_self_deletable")
    now, name = clock.now(), rules.pseudonym(user.id)
    entry_ids = (
        list(await session.scalars(select(VoterRollEntry.id).where(VoterRollEntry.phone_digest == user.phone_digest)))
        if user.phone_digest
        else []
    )
    ballots = await _unlink_open_ballots(session, settings, entry_ids)
    proposals = await session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.proposer_user_id == user.id)
    )
    objections = (
        await session.execute(
            update(Objection)
            .where(Objection.submitted_by_user_id == user.id)
            .values(submitted_by_user_id=None, contact=None)
        )
    ).rowcount or 0
    notices = (await session.execute(delete(UserNotice).where(UserNotice.user_id == user.id))).rowcount or 0
    notices += await _forget_how_to_reach(session, user.id)
    await _leave_organisations(session, user.id, user.phone_digest, now)
    login_ids = select(AuthSession.id).where(AuthSession.user_id == user.id)
    await session.execute(delete(RefreshToken).where(RefreshToken.session_id.in_(login_ids)))
    sessions = (
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="account_deleted")
        )
    ).rowcount or 0
    if user.phone_digest:
        await session.execute(delete(OtpCode).where(OtpCode.phone_digest == user.phone_digest))
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.principal_key == f"user:{user.id}"))
    # A registrant's name on a council was the account's display name: it goes with the account.
    await session.execute(
        update(CouncilParticipant).where(CouncilParticipant.user_id == user.id).values(user_id=None, name=name)
    )
    await session.execute(update(Representative).where(Representative.user_id == user.id).values(user_id=None))
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            display_name=name,
            username=None,
            password_hash=None,
            phone_digest=None,
            phone_masked=None,
            region_id=None,
            organisation_id=None,
            is_active=False,
            last_login_at=None,
            deleted_at=now,
        )
    )
    summary = {
        "deleted_at": now,
        "pseudonym": name,
        "proposals_kept": proposals,
        "objections_unlinked": objections,
        "ballots_unlinked": ballots,
        "notifications_deleted": notices,
        "sessions_ended": sessions,
        "roll_entries_kept": len(entry_ids),
    }
    # The trail names the account by its id and pseudonym only; nothing personal goes into it.
    await audit.record(
        session,
        audit.Actor("user", str(user.id), name),
        "user.erase",
        "user",
        user.id,
        after={k: v for k, v in summary.items() if k != "deleted_at"},
    )
    return {**summary, "message": rules.deletion_message(ballots, len(entry_ids))}
