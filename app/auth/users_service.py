"""Staff accounts: create, list, read and update within the caller's region (transactional)."""

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth import hooks, rules
from app.auth.models import AuthSession, Organisation, Role, User, UserNotice
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, require_within, restrict_to_region
from app.auth.secrets import hash_password
from app.auth.users_schemas import UserCreate, UserUpdate
from app.common.models import utcnow
from app.common.pagination import paginate
from app.common.schemas import PageParams
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.regions.models import Region


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "region_id": str(user.region_id) if user.region_id else None,
        "organisation_id": str(user.organisation_id) if user.organisation_id else None,
        "is_active": user.is_active,
    }


def _check_password(password: str, username: str | None, display_name: str | None) -> None:
    problem = rules.password_problem(password, username, display_name)
    if problem:
        raise Unprocessable(problem, code="weak_password")


async def _end_sessions(session: AsyncSession, user_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def _role_not_assignable(role: Role) -> Forbidden:
    who = "系统管理员" if role in rules.ADMIN_ONLY_ROLES else "任何人"
    return Forbidden(
        f"「{rules.ROLE_LABELS[role]}」账号只能由{who}创建、修改或重置密码。"
        f" (You may not give or manage the role {role.value}.)",
        code="role_not_assignable",
    )


async def check_organisation(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID) -> Organisation:
    """The organisation, if the caller may bind users or tokens to it: 422 unknown, 403 outside their region
    (an organisation with no region works across districts: only an admin binds it)."""
    row = (
        await session.execute(
            select(Organisation, Region.path)
            .outerjoin(Region, Region.id == Organisation.region_id)
            .where(Organisation.id == organisation_id)
        )
    ).first()
    if row is None:
        raise Unprocessable("No organisation with that id.", code="unknown_organisation")
    if not rules.may_bind_organisation(principal.role, principal.region_path, row[1]):
        if row[1] is None:
            raise Forbidden(
                "该机构不属于任何辖区（跨区工作），只有系统管理员可以为其开设账号或令牌。"
                " (Only an admin binds an organisation with no region.)",
                code="organisation_without_region",
            )
        raise Forbidden(
            "该机构不在您的辖区内，不能为其开设账号或令牌。 (That organisation is outside your region.)",
            code="out_of_region",
        )
    return row[0]


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    """A staff user in a region the caller governs, with a role the caller may give."""
    if not rules.may_assign_role(principal.role, data.role):
        raise _role_not_assignable(data.role)
    problem = rules.region_problem(data.role, data.region_id is not None)
    if problem:
        raise Unprocessable(problem, code="role_region_mismatch")
    region = await region_or_422(session, data.region_id)
    require_within(principal, region.path if region else None)
    _check_password(data.password, data.username, data.display_name)
    if data.organisation_id:
        await check_organisation(session, principal, data.organisation_id)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict("That username is taken.", code="username_taken")
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        region_id=data.region_id,
        organisation_id=data.organisation_id,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    if data.organisation_id:
        await hooks.move_membership(session, principal, user, None, data.organisation_id)
    await audit.record(
        session,
        principal.actor,
        "user.create",
        "user",
        user.id,
        after=_snapshot(user),
        region_path=region.path if region else None,
    )
    return user


async def list_users(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    role: Role | None = None,
    is_active: bool | None = None,
) -> dict[str, Any]:
    """One page of the users bound to the caller's region."""
    stmt = select(User).outerjoin(Region, Region.id == User.region_id)
    stmt = restrict_to_region(stmt, principal, Region.path)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    return await paginate(session, stmt.order_by(User.created_at, User.id), params)


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> tuple[User, str | None]:
    """A user and its region path; 404 when unknown, 403 when outside the caller's region."""
    row = (
        await session.execute(
            select(User, Region.path).outerjoin(Region, Region.id == User.region_id).where(User.id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound("No user with that id.", code="user_not_found")
    require_within(principal, row[1], "That user")
    return row[0], row[1]


async def _labels(
    session: AsyncSession, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, tuple[str | None, str | None]]:
    """The role, region and organisation that changed, as the user reads them."""
    out: dict[str, tuple[str | None, str | None]] = {}
    if before["role"] != after["role"]:
        out["role"] = (rules.ROLE_LABELS[Role(before["role"])], rules.ROLE_LABELS[Role(after["role"])])
    for field, model in (("region", Region), ("organisation", Organisation)):
        old, new = before[f"{field}_id"], after[f"{field}_id"]
        if old != new:
            names = [(await session.get(model, uuid.UUID(v))).name if v else None for v in (old, new)]
            out[field] = (names[0], names[1])
    return out


async def _notify(
    session: AsyncSession,
    principal: Principal,
    user: User,
    before: dict[str, Any],
    after: dict[str, Any],
    password_reset: bool,
) -> UserNotice | None:
    """Tell the user what someone changed of their role, region, organisation or password."""
    labels = await _labels(session, before, after)
    changed_by = f"{principal.label}（{rules.ROLE_LABELS[principal.role]}）" if principal.role else principal.label
    message = rules.account_change_message(labels, password_reset, changed_by)
    if message is None:
        return None
    changes: dict[str, Any] = {
        f: {"before": before[f"{f}_id" if f != "role" else f], "after": after[f"{f}_id" if f != "role" else f]}
        for f in labels
    }
    if password_reset:
        changes["password"] = {"reset": True}
    notice = UserNotice(user_id=user.id, message=message, changes=changes, changed_by=changed_by)
    session.add(notice)
    await session.flush()
    return notice


async def update_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID, data: UserUpdate) -> User:
    """Rename, (de)activate, change role, move within the caller's region, (un)bind an organisation or reset the
    password; the user is told of every change to their role, region, organisation or password."""
    user, path = await get_user(session, principal, user_id)
    if not rules.may_manage_role(principal.role, user.role):
        raise _role_not_assignable(user.role)
    if user.organisation_id is not None:  # whoever manages the account could act as the organisation
        await check_organisation(session, principal, user.organisation_id)
    before = _snapshot(user)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("is_active") is False and user.id == principal.user_id:
        raise Conflict("You cannot deactivate your own account.", code="self_deactivation")
    if data.password is not None:
        if user.role == Role.resident:
            raise Unprocessable("Residents log in with a phone code, not a password.", code="resident_password")
        _check_password(data.password, user.username, data.display_name or user.display_name)
    role = user.role
    if "role" in changes and changes["role"] != user.role:
        if data.role is None:
            raise Unprocessable("role cannot be empty.", code="role_required")
        if user.id == principal.user_id:
            raise Conflict("不能修改自己的角色。 (You cannot change your own role.)", code="self_role_change")
        if not rules.may_assign_role(principal.role, data.role):
            raise _role_not_assignable(data.role)
        if user.role == Role.resident:
            raise Unprocessable(
                "居民账号通过手机验证码登录，不能改为工作人员账号。 (Residents stay residents.)", code="resident_role"
            )
        role = data.role
    region_id = changes.get("region_id", user.region_id)
    problem = rules.region_problem(role, region_id is not None)
    if problem and ("region_id" in changes or role != user.role):
        raise Unprocessable(problem, code="role_region_mismatch")
    if "region_id" in changes:
        region = await region_or_422(session, data.region_id)
        path = region.path if region else None
        require_within(principal, path)
    moves_organisation = "organisation_id" in changes and changes["organisation_id"] != user.organisation_id
    if moves_organisation and user.role == Role.resident:
        raise Conflict(
            "居民加入机构须由机构负责人邀请、本人接受，退出须由本人操作，工作人员不能代为绑定或解除。"
            " (A resident joins an organisation by accepting an invitation and leaves it themselves:"
            " POST /api/v1/organisations/{id}/invitations, /api/v1/organisations/{id}/leave.)",
            code="resident_membership_not_by_staff",
        )
    if changes.get("organisation_id") is not None:
        await check_organisation(session, principal, data.organisation_id)
    user.role, user.region_id = role, region_id
    if moves_organisation:
        await hooks.move_membership(session, principal, user, user.organisation_id, data.organisation_id)
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            await _end_sessions(session, user.id, "deactivated")
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        await _end_sessions(session, user.id, "password_reset")
    after = _snapshot(user)
    if after != before or data.password is not None:
        await session.flush()
        notice = await _notify(session, principal, user, before, after, data.password is not None)
        await audit.record(
            session,
            principal.actor,
            "user.update",
            "user",
            user.id,
            before=before,
            after={
                **after,
                "password_reset": data.password is not None,
                "notice_id": str(notice.id) if notice else None,
            },
            region_path=path,
        )
    return user
