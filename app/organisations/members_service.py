"""Membership: an owner invites by phone, the invitee accepts after logging in, a member leaves (transactional)."""

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import Organisation, User
from app.auth.otp_service import phone_digest
from app.auth.principal import Principal
from app.auth.secrets import mask_phone
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.config import Settings
from app.core.errors import Conflict, Forbidden, NotFound
from app.organisations import rules
from app.organisations.models import OrganisationInvitation, OrganisationMember
from app.organisations.rules import MemberRole
from app.organisations.schemas import InvitationCreate
from app.organisations.service import get_organisation, join, phone_or_422, seat_path


async def membership(
    session: AsyncSession, organisation_id: uuid.UUID, user_id: uuid.UUID | None
) -> OrganisationMember | None:
    """The user's open membership of the organisation, if any."""
    return await session.scalar(
        select(OrganisationMember).where(
            OrganisationMember.organisation_id == organisation_id,
            OrganisationMember.user_id == user_id,
            OrganisationMember.left_at.is_(None),
        )
    )


async def invite(
    session: AsyncSession, settings: Settings, principal: Principal, org: Organisation, data: InvitationCreate
) -> OrganisationInvitation:
    """An owner invites a phone number; one open invitation per number."""
    member = await membership(session, org.id, principal.user_id)
    if member is None or member.role != MemberRole.owner:
        raise Forbidden("只有机构负责人可以邀请成员。", code="not_owner")
    phone = phone_or_422(data.phone)
    digest = phone_digest(settings, phone)
    if await session.scalar(
        select(OrganisationInvitation.id).where(
            OrganisationInvitation.organisation_id == org.id,
            OrganisationInvitation.phone_digest == digest,
            OrganisationInvitation.accepted_at.is_(None),
        )
    ):
        raise Conflict("已向这个号码发出邀请，等待对方接受。", code="invitation_exists")
    invitation = OrganisationInvitation(
        organisation_id=org.id,
        phone_digest=digest,
        phone_masked=mask_phone(phone),
        role=data.role,
        invited_by=principal.user_id,
    )
    session.add(invitation)
    await session.flush()
    await record(
        session,
        principal.actor,
        "organisation.invite",
        "organisation",
        org.id,
        after={"invitation_id": invitation.id, "phone": invitation.phone_masked, "role": data.role.value},
        region_path=await seat_path(session, org),
    )
    return invitation


def my_invitations(principal: Principal) -> Select:
    """Open invitations to the caller's phone, with the organisation's name."""
    return (
        select(OrganisationInvitation, Organisation.name.label("organisation_name"))
        .join(Organisation, Organisation.id == OrganisationInvitation.organisation_id)
        .where(
            OrganisationInvitation.phone_digest == principal.phone_digest, OrganisationInvitation.accepted_at.is_(None)
        )
        .order_by(OrganisationInvitation.created_at, OrganisationInvitation.id)
    )


async def accept(session: AsyncSession, principal: Principal, invitation_id: uuid.UUID) -> OrganisationMember:
    """The invited resident joins; invitations to other phones do not exist for them (404)."""
    digest = principal.phone_digest
    invitation = await get_or_404(
        session,
        OrganisationInvitation,
        invitation_id,
        code="invitation_not_found",
        detail="没有这个邀请。",
        accept=lambda i: digest is not None and i.phone_digest == digest,
    )
    if invitation.accepted_at is not None:
        raise Conflict("这个邀请已经接受过了。", code="invitation_used")
    if principal.organisation_id is not None:
        raise Conflict("您已属于一个机构，请先退出再加入其他机构。", code="already_in_organisation")
    org = await get_organisation(session, invitation.organisation_id)
    invitation.accepted_at = utcnow()
    member = await join(session, org, principal.user_id, invitation.role)
    await record(
        session,
        principal.actor,
        "organisation.join",
        "organisation",
        org.id,
        after={"invitation_id": invitation.id, "user_id": principal.user_id, "role": invitation.role.value},
        region_path=await seat_path(session, org),
    )
    return member


async def leave(session: AsyncSession, principal: Principal, org: Organisation) -> None:
    """The caller leaves; the last owner cannot (409)."""
    member = await membership(session, org.id, principal.user_id)
    if member is None:
        raise NotFound("您不是这个机构的成员。", code="not_a_member")
    owners = await session.scalar(
        select(func.count())
        .select_from(OrganisationMember)
        .where(
            OrganisationMember.organisation_id == org.id,
            OrganisationMember.role == MemberRole.owner,
            OrganisationMember.left_at.is_(None),
            OrganisationMember.id != member.id,
        )
    )
    problem = rules.leaving_problem(member.role, owners)
    if problem:
        raise Conflict(problem, code="last_owner")
    member.left_at = utcnow()
    user = await session.get(User, principal.user_id)
    user.organisation_id = None
    await session.flush()
    await record(
        session,
        principal.actor,
        "organisation.leave",
        "organisation",
        org.id,
        before={"user_id": principal.user_id, "role": member.role.value},
        region_path=await seat_path(session, org),
    )


async def move(
    session: AsyncSession, principal: Principal, user: User, before: uuid.UUID | None, after: uuid.UUID | None
) -> None:
    """Staff bind a staff account to an organisation (or unbind it) through /users: its membership ends and
    begins in the same transaction, so the binding that access checks read never disagrees with the membership
    that documents, the members' list and privacy exports read. Audited as a leave and a join by the staff
    member. Staff accounts are never owners (owners register or are invited, as residents), so no organisation
    loses its last owner here; residents' memberships are theirs to change (users_service refuses)."""
    if before == after:
        return
    if before is not None:
        member = await membership(session, before, user.id)
        if member is not None:
            member.left_at = utcnow()
            await record(
                session,
                principal.actor,
                "organisation.leave",
                "organisation",
                before,
                before={"user_id": user.id, "role": member.role.value},
                after={"by": "user.update"},
                region_path=await seat_path(session, await get_organisation(session, before)),
            )
    user.organisation_id = None
    if after is not None:
        org = await get_organisation(session, after)
        await join(session, org, user.id, MemberRole.member)
        await record(
            session,
            principal.actor,
            "organisation.join",
            "organisation",
            org.id,
            after={"user_id": user.id, "role": MemberRole.member.value, "by": "user.update"},
            region_path=await seat_path(session, org),
        )
    await session.flush()


def members_statement(organisation_id: uuid.UUID) -> Select:
    """Members past and present, by when they joined, with their display names."""
    return (
        select(OrganisationMember, User.display_name)
        .join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation_id)
        .order_by(OrganisationMember.joined_at, OrganisationMember.id)
    )
