"""Staff accounts: create, list, read and update within the caller's region (transactional)."""

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth import rules
from app.auth.models import AuthSession, Organisation, Role, User
from app.auth.principal import Principal
from app.auth.scoping import region_or_422, require_within, restrict_to_region
from app.auth.secrets import hash_password
from app.auth.users_schemas import UserCreate, UserUpdate
from app.common.models import utcnow
from app.common.pagination import paginate
from app.common.schemas import PageParams
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.regions.models import Region


def _snapshot(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role.value,
            "region_id": str(user.region_id) if user.region_id else None,
            "organisation_id": str(user.organisation_id) if user.organisation_id else None,
            "is_active": user.is_active}


def _check_password(password: str, username: str | None, display_name: str | None) -> None:
    problem = rules.password_problem(password, username, display_name)
    if problem:
        raise Unprocessable(problem, code="weak_password")


async def _end_sessions(session: AsyncSession, user_id: uuid.UUID, reason: str) -> None:
    await session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                          .values(revoked_at=utcnow(), revoked_reason=reason))


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    """A staff user in a region the caller governs, with a role the caller may give."""
    if not rules.may_assign_role(principal.role, data.role):
        raise Forbidden(f"You may not create users with the role {data.role.value}.", code="role_not_assignable")
    problem = rules.region_problem(data.role, data.region_id is not None)
    if problem:
        raise Unprocessable(problem, code="role_region_mismatch")
    region = await region_or_422(session, data.region_id)
    require_within(principal, region.path if region else None)
    _check_password(data.password, data.username, data.display_name)
    if data.organisation_id and await session.get(Organisation, data.organisation_id) is None:
        raise Unprocessable("No organisation with that id.", code="unknown_organisation")
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict("That username is taken.", code="username_taken")
    user = User(username=data.username, display_name=data.display_name, role=data.role,
                region_id=data.region_id, organisation_id=data.organisation_id,
                password_hash=hash_password(data.password))
    session.add(user)
    await session.flush()
    await audit.record(session, principal.actor, "user.create", "user", user.id, after=_snapshot(user),
                       region_path=region.path if region else None)
    return user


async def list_users(session: AsyncSession, principal: Principal, params: PageParams, role: Role | None = None,
                     is_active: bool | None = None) -> dict[str, Any]:
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
    row = (await session.execute(select(User, Region.path).outerjoin(Region, Region.id == User.region_id)
                                 .where(User.id == user_id))).first()
    if row is None:
        raise NotFound("No user with that id.", code="user_not_found")
    require_within(principal, row[1], "That user")
    return row[0], row[1]


async def update_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID, data: UserUpdate) -> User:
    """Rename, (de)activate, move within the caller's region, or reset the password."""
    user, path = await get_user(session, principal, user_id)
    if not rules.may_manage_role(principal.role, user.role):
        raise Forbidden(f"You may not manage users with the role {user.role.value}.", code="role_not_assignable")
    before = _snapshot(user)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("is_active") is False and user.id == principal.user_id:
        raise Conflict("You cannot deactivate your own account.", code="self_deactivation")
    if data.password is not None:
        if user.role == Role.resident:
            raise Unprocessable("Residents log in with a phone code, not a password.", code="resident_password")
        _check_password(data.password, user.username, data.display_name or user.display_name)
    if "region_id" in changes:
        problem = rules.region_problem(user.role, data.region_id is not None)
        if problem:
            raise Unprocessable(problem, code="role_region_mismatch")
        region = await region_or_422(session, data.region_id)
        path = region.path if region else None
        require_within(principal, path)
        user.region_id = data.region_id
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
        await audit.record(session, principal.actor, "user.update", "user", user.id, before=before,
                           after={**after, "password_reset": data.password is not None}, region_path=path)
    return user
