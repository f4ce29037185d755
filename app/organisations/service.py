"""Organisations a resident registers: registration, verification and suspension by staff (transactional)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import Organisation, OrganisationKind, User
from app.auth.organisations_service import check_credit_code
from app.auth.principal import Principal
from app.auth.scoping import region_or_422
from app.auth.secrets import normalise_phone
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Unprocessable
from app.organisations import policy, rules
from app.organisations.models import OrganisationDocument, OrganisationMember
from app.organisations.rules import MemberRole, OrganisationStatus
from app.organisations.schemas import OrganisationRegister, StatusChange
from app.regions.models import Region, RegionLevel


def phone_or_422(raw: str) -> str:
    """The normalised mainland mobile number, or 422 invalid_phone."""
    phone = normalise_phone(raw)
    if phone is None:
        raise Unprocessable("请填写有效的中国大陆手机号码。", code="invalid_phone")
    return phone


async def get_organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    """The organisation, or 404."""
    return await get_or_404(
        session, Organisation, organisation_id, code="organisation_not_found", detail="没有这个机构。"
    )


async def seat_path(session: AsyncSession, org: Organisation) -> str | None:
    """The path of the region the organisation is seated in (None: works across regions)."""
    region = await session.get(Region, org.region_id) if org.region_id else None
    return region.path if region else None


async def _unique(session: AsyncSession, name: str, credit_code: str) -> None:
    taken = await session.scalar(
        select(Organisation.id).where((Organisation.name == name) | (Organisation.credit_code == credit_code))
    )
    if taken:
        raise Conflict("已有同名或同一统一社会信用代码的机构登记。", code="organisation_exists")


async def register(session: AsyncSession, principal: Principal, data: OrganisationRegister) -> Organisation:
    """A resident registers their social organisation: pending, with them as its owner."""
    check_credit_code(data.credit_code)
    contact_phone = phone_or_422(data.contact_phone)
    area = await region_or_422(session, data.service_area_id)
    if area.level not in (RegionLevel.street, RegionLevel.community):
        raise Unprocessable("服务区域应为街道或社区。", code="service_area_level")
    if principal.organisation_id is not None:
        raise Conflict("您已属于一个机构，请先退出再登记新机构。", code="already_in_organisation")
    await _unique(session, data.name, data.credit_code)
    org = Organisation(
        name=data.name,
        kind=OrganisationKind.social_organisation,
        region_id=area.id,
        credit_code=data.credit_code,
        status=OrganisationStatus.pending,
        registration_authority=data.registration_authority,
        legal_representative=data.legal_representative,
        contact_name=data.contact_name,
        contact_phone=contact_phone,
        service_area_id=area.id,
    )
    session.add(org)
    await session.flush()
    await join(session, org, principal.user_id, MemberRole.owner)
    await record(
        session,
        principal.actor,
        "organisation.register",
        "organisation",
        org.id,
        after={
            "name": org.name,
            "credit_code": org.credit_code,
            "status": org.status.value,
            "service_area_id": str(area.id),
        },
        region_path=area.path,
    )
    return org


async def join(session: AsyncSession, org: Organisation, user_id: uuid.UUID, role: MemberRole) -> OrganisationMember:
    """Open a membership and mirror it on the user, whom access checks read."""
    member = OrganisationMember(organisation_id=org.id, user_id=user_id, role=role)
    session.add(member)
    user = await session.get(User, user_id)
    user.organisation_id = org.id
    await session.flush()
    return member


async def change_status(
    session: AsyncSession, principal: Principal, org: Organisation, action: str, data: StatusChange
) -> Organisation:
    """Verify (documents on file), suspend (with a reason) or reinstate an organisation."""
    path = await seat_path(session, org)
    policy.check_verifier(principal, path)
    target = rules.next_status(action, org.status)
    if target is None:
        raise Conflict(
            f"状态为{STATUS_LABELS[org.status]}的机构不能{ACTION_LABELS[action]}。",
            code="organisation_status_conflict",
            extra={"organisation_status": org.status.value},
        )
    if action == "suspend" and not data.reason:
        raise Unprocessable("暂停机构须写明原因。", code="reason_required")
    if action == "verify" and not await session.scalar(
        select(OrganisationDocument.id).where(OrganisationDocument.organisation_id == org.id).limit(1)
    ):
        raise Conflict("核验前须上传登记证书等证明材料。", code="documents_missing")
    before = org.status.value
    org.status, org.status_reason = target, data.reason
    org.status_changed_at, org.status_changed_by = utcnow(), str(principal.user_id)
    await session.flush()
    await record(
        session,
        principal.actor,
        f"organisation.{action}",
        "organisation",
        org.id,
        before={"status": before},
        after={"status": target.value, "reason": data.reason},
        region_path=path,
    )
    return org


STATUS_LABELS = {
    OrganisationStatus.pending: "待核验",
    OrganisationStatus.verified: "已核验",
    OrganisationStatus.suspended: "已暂停",
}
ACTION_LABELS = {"verify": "核验", "suspend": "暂停", "reinstate": "恢复"}
