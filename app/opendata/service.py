"""Gather a programme year's public facts through the same views the public API and the board use."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.awards.models import AwardRun, RunState
from app.core import clock
from app.core.errors import NotFound
from app.deliberation.models import Meeting
from app.evaluation.models import EvaluationCampaign, SatisfactionRating
from app.funds import reports_service
from app.notices.models import Notice
from app.notices.views import notice_view
from app.opendata import package
from app.programmes.models import Programme, ProgrammeStatus
from app.proposals.models import Proposal
from app.regions.models import Region, RegionLevel
from app.voting import rounds_service, tally_service
from app.voting.models import RoundStatus, VotingRound


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


async def build(session: AsyncSession, district_id: uuid.UUID, year: int, as_of: date) -> tuple[str, bytes]:
    """(file name, zip) of the district's programme year; 404 when the district has no programme that year."""
    district = await session.get(Region, district_id)
    programme = (
        None
        if district is None or district.level != RegionLevel.district
        else await session.scalar(select(Programme).where(Programme.district_id == district_id, Programme.year == year))
    )
    if programme is None:
        raise NotFound(
            "该区没有这一年度的民生微实事项目。The district has no programme that year.", code="programme_not_found"
        )
    names = dict(
        (
            await session.execute(
                select(Region.id, Region.name).where(Region.path.startswith(district.path, autoescape=True))
            )
        ).all()
    )
    tables: dict[str, list[dict[str, Any]]] = {}
    pb: dict[str, str] = {}
    tables["proposals"] = [
        {
            "id": p.id,
            "community": names.get(p.community_id),
            "title": p.title,
            "kind": _value(p.kind),
            "project_type": _value(p.project_type),
            "category": _value(p.category),
            "total_fen": p.total_fen,
            "state": _value(p.state),
            "submitted_at": p.submitted_at,
        }
        for p in await session.scalars(
            select(Proposal)
            .where(Proposal.programme_id == programme.id, Proposal.submitted_at.is_not(None))
            .order_by(Proposal.submitted_at, Proposal.id)
        )
    ]
    tables["meetings"] = [
        {
            "id": m.id,
            "community": names.get(m.community_id),
            "topic": m.topic,
            "scheduled_at": m.scheduled_at,
            "form": _value(m.form),
            "state": _value(m.state),
        }
        for m in await session.scalars(
            select(Meeting).where(Meeting.programme_id == programme.id).order_by(Meeting.scheduled_at, Meeting.id)
        )
    ]
    tables["rounds"], tables["results"] = [], []
    for rnd in await session.scalars(
        select(VotingRound)
        .where(VotingRound.programme_id == programme.id, VotingRound.status != RoundStatus.cancelled)
        .order_by(VotingRound.opens_at, VotingRound.id)
    ):
        closed = rnd.status == RoundStatus.closed
        path = f"pb/round-{rnd.id}.pb" if closed else None
        tables["rounds"].append(
            {
                "id": rnd.id,
                "community": names.get(rnd.community_id),
                "title": rnd.title,
                "opens_at": rnd.opens_at,
                "closes_at": rnd.closes_at,
                "budget_fen": rnd.budget_fen,
                "status": _value(rnd.status),
                "ballots_counted": rnd.ballots_counted,
                "pb_file": path,
            }
        )
        if not closed:  # counts stay hidden until the close, here as on the board
            continue
        pb[path] = await tally_service.recount_file(session, rnd)
        why = {e["project_id"]: e.get("reason_zh") for e in (rnd.result or {}).get("explanations", [])}
        for p in await rounds_service.projects_of(session, rnd.id):
            tables["results"].append(
                {
                    "round_id": rnd.id,
                    "number": p.number,
                    "proposal_id": p.proposal_id,
                    "title": p.title,
                    "cost_fen": p.cost_fen,
                    "votes": p.votes,
                    "selected": p.selected,
                    "explanation": why.get(str(p.number)),
                }
            )
    await _notices(session, programme, names, tables)
    finance = await reports_service.finance_report(
        session, reports_service.GroupBy.community, scope_path=district.path, as_of=as_of, year=year
    )
    tables["finances"] = [{"community": r.label, **r.figures} for r in finance.rows]
    await _evaluation(session, programme, tables)
    in_progress = programme.status != ProgrammeStatus.closed
    name = f"weishi-{district.path.strip('/').split('/')[-1][:8]}-{year}"
    title = f"{district.name}{year}年度民生微实事公开数据"
    meta = package.descriptor(name, title, in_progress, sorted(pb), clock.now())
    return f"{name}.zip", package.zipped(meta, tables, pb)


async def _notices(session, programme: Programme, names: dict, tables: dict) -> None:
    tables["notices"], tables["notice_items"], tables["objections"] = [], [], []
    for notice in await session.scalars(
        select(Notice).where(Notice.programme_id == programme.id).order_by(Notice.starts_on, Notice.id)
    ):
        view = await notice_view(session, notice)
        tables["notices"].append(
            {
                "id": view["id"],
                "kind": _value(view["kind"]),
                "community": names.get(view["community_id"]),
                "title": view["title"],
                "starts_on": view["starts_on"],
                "ends_on": view["ends_on"],
                "phase": view["phase"],
            }
        )
        for item in view["items"]:
            tables["notice_items"].append(
                {
                    "notice_id": view["id"],
                    "item_id": item.id,
                    "proposal_id": item.proposal_id,
                    "title": item.title,
                    "amount_fen": item.amount_fen,
                    "implementer": item.implementer,
                    "votes": item.votes,
                    "status": _value(item.status),
                }
            )
        for o in view["objections"]:
            tables["objections"].append(
                {
                    "notice_id": view["id"],
                    "item_id": o.item_id,
                    "submitted_on": o.submitted_at.date(),
                    "status": _value(o.status),
                    "reason": o.reason,
                    "reply": o.reply,
                }
            )


async def _evaluation(session, programme: Programme, tables: dict) -> None:
    tables["satisfaction"], tables["awards"] = [], []
    campaign = await session.scalar(select(EvaluationCampaign).where(EvaluationCampaign.programme_id == programme.id))
    if campaign is None:
        return
    rated = await session.execute(
        select(SatisfactionRating.proposal_id, Proposal.title, func.count(), func.avg(SatisfactionRating.rating))
        .join(Proposal, Proposal.id == SatisfactionRating.proposal_id)
        .where(SatisfactionRating.campaign_id == campaign.id)
        .group_by(SatisfactionRating.proposal_id, Proposal.title)
        .order_by(Proposal.title)
    )
    tables["satisfaction"] = [
        {"proposal_id": pid, "title": title, "ratings": count, "average": round(float(avg), 2)}
        for pid, title, count, avg in rated.all()
    ]
    # Only a run under notice or final is public; computed and approved runs are the district's working papers.
    run = await session.scalar(
        select(AwardRun).where(
            AwardRun.campaign_id == campaign.id, AwardRun.state.in_([RunState.published, RunState.final])
        )
    )
    for p in run.outputs.get("projects", []) if run else []:
        tables["awards"].append(
            {
                "proposal_id": p.get("project_id"),
                "composite": p.get("composite"),
                "grade": p.get("grade"),
                "rank": p.get("rank"),
                "awards": "、".join(p.get("awards", [])),
                "subsidy_fen": p.get("subsidy_fen"),
            }
        )
