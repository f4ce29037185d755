"""Self-inspection reports (自查报告): a street admin files their street's report for a campaign and may amend it
until the campaign's deadline (earlier versions kept); the district reads every street's, a street only its own."""

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.pagination import paginate
from app.common.rows import get_or_404
from app.common.schemas import PageParams
from app.common.upsert import insert_for
from app.core.errors import Conflict, NotFound
from app.evaluation import campaign_service, policy, rules
from app.evaluation.models import EvaluationCampaign, SelfInspectionHistory, SelfInspectionReport
from app.evaluation.schemas import SelfInspectionWrite
from app.regions.models import Region, RegionLevel

FIELDS = ("work_done", "problems", "lessons", "rectification")


async def _street(session: AsyncSession, campaign: EvaluationCampaign, street_id: uuid.UUID) -> Region:
    return await get_or_404(
        session,
        Region,
        street_id,
        code="street_not_found",
        detail="No street of this campaign's district with that id.",
        accept=lambda s: s.level == RegionLevel.street and s.parent_id == campaign.district_id,
    )


def _snapshot(report: SelfInspectionReport) -> dict[str, Any]:
    return {"version": report.version, **{f: getattr(report, f) for f in FIELDS}}


async def file(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, street_id: uuid.UUID, body: SelfInspectionWrite
) -> tuple[SelfInspectionReport, bool]:
    """File the street's report, or amend it (the earlier version goes to history); True when newly filed."""
    campaign = await campaign_service.get_campaign(session, campaign_id)
    street = await _street(session, campaign, street_id)
    policy.check_file_inspection(principal, street.path)
    if campaign_service.phase_of(campaign) == rules.Phase.ended:
        raise Conflict(
            "The campaign's deadline has passed; self-inspection reports are locked.",
            code="campaign_ended",
            extra={"closes_on": campaign.closes_on.isoformat()},
        )
    now, actor = utcnow(), principal.actor
    fields = body.model_dump()
    new_id = await session.scalar(
        insert_for(session, SelfInspectionReport)
        .values(
            id=uuid.uuid4(),
            campaign_id=campaign.id,
            street_id=street.id,
            region_path=street.path,
            version=1,
            filed_by=actor.id,
            filed_at=now,
            **fields,
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "street_id"])
        .returning(SelfInspectionReport.id)
    )
    if new_id is not None:
        report = await session.get(SelfInspectionReport, new_id)
        await record(
            session,
            actor,
            "self_inspection.file",
            "self_inspection_report",
            report.id,
            after=_snapshot(report),
            region_path=street.path,
        )
        return report, True
    report = await session.scalar(
        select(SelfInspectionReport)
        .where(SelfInspectionReport.campaign_id == campaign.id, SelfInspectionReport.street_id == street.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if all(getattr(report, f) == fields[f] for f in FIELDS):
        return report, False  # the same text again: nothing to amend
    before = _snapshot(report)
    await session.execute(
        insert(SelfInspectionHistory).values(
            id=uuid.uuid4(),
            report_id=report.id,
            version=report.version,
            filed_by=report.filed_by,
            filed_at=report.filed_at,
            superseded_at=now,
            **{f: getattr(report, f) for f in FIELDS},
        )
    )
    for f in FIELDS:
        setattr(report, f, fields[f])
    report.version, report.filed_by, report.filed_at = report.version + 1, actor.id, now
    await session.flush()
    await record(
        session,
        actor,
        "self_inspection.amend",
        "self_inspection_report",
        report.id,
        before=before,
        after=_snapshot(report),
        region_path=street.path,
    )
    return report, False


async def read(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, street_id: uuid.UUID
) -> SelfInspectionReport:
    """The street's report as the caller may read it: 404 outside their region or when none was filed."""
    campaign = await campaign_service.get_campaign(session, campaign_id)
    street = await _street(session, campaign, street_id)
    policy.check_read_inspection(principal, street.path)
    report = await session.scalar(
        select(SelfInspectionReport).where(
            SelfInspectionReport.campaign_id == campaign.id, SelfInspectionReport.street_id == street.id
        )
    )
    if report is None:
        raise NotFound("This street has not filed its self-inspection report.", code="self_inspection_not_found")
    return report


async def page(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID, params: PageParams
) -> dict[str, Any]:
    """Reports of the campaign the caller may read (the district: all; a street: its own), by street."""
    campaign = await campaign_service.campaign_for(session, principal, campaign_id)
    stmt = restrict_to_region(
        select(SelfInspectionReport).where(SelfInspectionReport.campaign_id == campaign.id),
        principal,
        SelfInspectionReport.region_path,
    )
    result = await paginate(session, stmt.order_by(SelfInspectionReport.region_path), params)
    result["items"] = await views(session, result["items"])
    return result


async def views(session: AsyncSession, reports: list[SelfInspectionReport]) -> list[dict[str, Any]]:
    """Reports with their street's name and earlier versions (newest first)."""
    ids = [r.id for r in reports]
    names = dict(
        (
            await session.execute(select(Region.id, Region.name).where(Region.id.in_([r.street_id for r in reports])))
        ).all()
    )
    history: dict[uuid.UUID, list[SelfInspectionHistory]] = defaultdict(list)
    for h in await session.scalars(
        select(SelfInspectionHistory)
        .where(SelfInspectionHistory.report_id.in_(ids))
        .order_by(SelfInspectionHistory.version.desc())
    ):
        history[h.report_id].append(h)
    return [
        {
            "id": r.id,
            "campaign_id": r.campaign_id,
            "street_id": r.street_id,
            "street_name": names.get(r.street_id, ""),
            "version": r.version,
            "filed_at": r.filed_at,
            **{f: getattr(r, f) for f in FIELDS},
            "history": history[r.id],
        }
        for r in reports
    ]


async def filing(session: AsyncSession, campaign: EvaluationCampaign) -> dict[str, Any]:
    """Streets of the district that filed, and those that did not."""
    streets = list(
        await session.scalars(
            select(Region.id)
            .where(Region.parent_id == campaign.district_id, Region.level == RegionLevel.street)
            .order_by(Region.path)
        )
    )
    filed = set(
        await session.scalars(
            select(SelfInspectionReport.street_id).where(SelfInspectionReport.campaign_id == campaign.id)
        )
    )
    return {"filed": len(filed), "streets": len(streets), "missing_street_ids": [s for s in streets if s not in filed]}
