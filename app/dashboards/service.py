"""A dashboard's figures: one pass of grouped queries per year over the district, pivoted by street in Python.

Money comes from app.funds.reports_service (the finance report's own function), so the dashboard equals the report."""

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.awards.models import AwardRun, RunState
from app.dashboards import rules
from app.evaluation.models import EvaluationCampaign, SatisfactionRating
from app.funds import reports_service
from app.funds.models import FundSourceKind
from app.funds.rules import draw_rank
from app.notices.models import Notice, Objection
from app.programmes.models import Programme
from app.proposals.enums import ProposalState
from app.proposals.models import Proposal
from app.regions.models import Region, RegionLevel
from app.voting.models import RoundStatus, VoteMark, VoterRollEntry, VotingRound

_UNCOUNTED = (ProposalState.draft, ProposalState.withdrawn)


async def units_of(session: AsyncSession, region: Region) -> list[Region]:
    """The region itself, then (for a district) each of its streets by name."""
    if region.level != RegionLevel.district:
        return [region]
    streets = await session.execute(
        select(Region).where(Region.parent_id == region.id, Region.level == RegionLevel.street).order_by(Region.name)
    )
    return [region, *streets.scalars()]


async def programme_years(session: AsyncSession, district_id: uuid.UUID) -> list[int]:
    """The years the district has a programme for."""
    rows = await session.execute(
        select(Programme.year).where(Programme.district_id == district_id).order_by(Programme.year)
    )
    return list(rows.scalars())


def _owner(units: list[Region], path: str) -> list[int]:
    """Indexes of the units a row at `path` counts in (the district, and its street)."""
    return [i for i, u in enumerate(units) if path.startswith(u.path)]


def district_of(region: Region) -> uuid.UUID:
    """The district a district or street belongs to."""
    return region.id if region.level == RegionLevel.district else region.parent_id


async def year_figures(session: AsyncSession, units: list[Region], year: int, as_of: date) -> dict[str, Any]:
    """Every unit's figures for one programme year (zeros where the year has nothing)."""
    out = [rules.empty_unit(str(u.id), u.name, u.level.value) for u in units]
    scope = units[0].path
    programme = await session.scalar(
        select(Programme.id).where(Programme.year == year, Programme.district_id == district_of(units[0]))
    )
    await _turnout(session, units, out, scope, year)
    await _proposals(session, units, out, scope, year)
    await _money(session, units, out, year, as_of)
    await _satisfaction_and_grades(session, units, out, scope, year)
    await _objections(session, units, out, scope, year)
    return {"year": year, "has_programme": programme is not None, "units": [rules.finish(u) for u in out]}


async def _turnout(session, units, out, scope: str, year: int) -> None:
    rounds = (
        await session.execute(
            select(VotingRound.id, VotingRound.community_id, VotingRound.region_path, VotingRound.closes_at)
            .join(Programme, Programme.id == VotingRound.programme_id)
            .where(
                Programme.year == year,
                VotingRound.status == RoundStatus.closed,
                VotingRound.region_path.startswith(scope, autoescape=True),
            )
        )
    ).all()
    for round_id, community_id, path, closes_at in rounds:
        on_roll = await session.scalar(
            select(func.count())
            .select_from(VoterRollEntry)
            .where(
                VoterRollEntry.community_id == community_id,
                VoterRollEntry.added_at <= closes_at,
                or_(VoterRollEntry.removed_at.is_(None), VoterRollEntry.removed_at > closes_at),
            )
        )
        channels = dict(
            (
                await session.execute(
                    select(VoteMark.channel, func.count())
                    .where(VoteMark.round_id == round_id)
                    .group_by(VoteMark.channel)
                )
            ).all()
        )
        for i in _owner(units, path):
            t = out[i]["turnout"]
            t["rounds"] += 1
            t["voters_on_roll"] += int(on_roll or 0)
            for channel, count in channels.items():
                key = "paper" if str(getattr(channel, "value", channel)) == "paper" else "online"
                t[key] += int(count)
                t["ballots"] += int(count)


async def _proposals(session, units, out, scope: str, year: int) -> None:
    rows = (
        await session.execute(
            select(Proposal.region_path, Proposal.category, Proposal.kind, func.count())
            .join(Programme, Programme.id == Proposal.programme_id)
            .where(
                Programme.year == year,
                Proposal.state.not_in(_UNCOUNTED),
                Proposal.region_path.startswith(scope, autoescape=True),
            )
            .group_by(Proposal.region_path, Proposal.category, Proposal.kind)
        )
    ).all()
    for path, category, kind, count in rows:
        for i in _owner(units, path):
            p = out[i]["proposals"]
            p["total"] += count
            cat, knd = str(getattr(category, "value", category)), str(getattr(kind, "value", kind))
            p["by_category"][cat] = p["by_category"].get(cat, 0) + count
            p["by_kind"][knd] = p["by_kind"].get(knd, 0) + count


async def _money(session, units, out, year: int, as_of: date) -> None:
    for i, unit in enumerate(units):
        totals = (
            await reports_service.finance_report(
                session, reports_service.GroupBy.year, scope_path=unit.path, as_of=as_of, year=year
            )
        ).totals.figures
        by_source = await reports_service.finance_report(
            session, reports_service.GroupBy.fund_source, scope_path=unit.path, as_of=as_of, year=year
        )
        m = out[i]["money"]
        for key in ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen", "transferred_out_fen"):
            m[key] = int(totals[key] or 0)
        # Per source, the finance report's own rows: received, committed, paid, returned and moved out at year end.
        m["by_source"] = [
            rules.source_figures(r.key, r.label, r.figures)
            for r in sorted(by_source.rows, key=lambda r: draw_rank(FundSourceKind(r.key)))
        ]


async def _satisfaction_and_grades(session, units, out, scope: str, year: int) -> None:
    ratings = (
        await session.execute(
            select(Proposal.region_path, func.count(), func.sum(SatisfactionRating.rating))
            .join(Proposal, Proposal.id == SatisfactionRating.proposal_id)
            .join(EvaluationCampaign, EvaluationCampaign.id == SatisfactionRating.campaign_id)
            .where(EvaluationCampaign.year == year, Proposal.region_path.startswith(scope, autoescape=True))
            .group_by(Proposal.region_path)
        )
    ).all()
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for path, count, total in ratings:
        for i in _owner(units, path):
            sums[i][0] += int(count)
            sums[i][1] += int(total or 0)
    for i, (count, total) in sums.items():
        out[i]["satisfaction"] = {"ratings": count, "average": round(total / count, 2) if count else None}
    # Grades: the published or final award run of each of the year's campaigns in scope.
    runs = (
        await session.execute(
            select(AwardRun.outputs)
            .join(EvaluationCampaign, EvaluationCampaign.id == AwardRun.campaign_id)
            .where(
                EvaluationCampaign.year == year,
                EvaluationCampaign.district_id == district_of(units[0]),
                AwardRun.state.in_([RunState.published, RunState.final]),
            )
        )
    ).scalars()
    for outputs in runs:
        for project in outputs.get("projects", []):
            for i, unit in enumerate(units):
                mine = unit.level == RegionLevel.district or str(project.get("street_id")) == str(unit.id)
                if mine and project.get("grade") in out[i]["grades"]:
                    out[i]["grades"][project["grade"]] += 1


async def _objections(session, units, out, scope: str, year: int) -> None:
    rows = (
        await session.execute(
            select(Notice.region_path, Objection.status, func.count())
            .join(Notice, Notice.id == Objection.notice_id)
            .join(Programme, Programme.id == Notice.programme_id)
            .where(Programme.year == year, Notice.region_path.startswith(scope, autoescape=True))
            .group_by(Notice.region_path, Objection.status)
        )
    ).all()
    for path, status, count in rows:
        for i in _owner(units, path):
            o = out[i]["objections"]
            o["total"] += count
            o[str(getattr(status, "value", status))] += count


async def dashboard(session: AsyncSession, region: Region, years: list[int], as_of: date) -> dict[str, Any]:
    """The region (a district and its streets, or one street) for each year asked, as of a date."""
    units = await units_of(session, region)
    per_year = [await year_figures(session, units, year, as_of) for year in years]
    return {
        "region_id": str(region.id),
        "name": region.name,
        "level": region.level.value,
        "as_of": as_of.isoformat(),
        "years": per_year,
        "compared": _compared(per_year),
    }


def _compared(per_year: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first unit (the region itself) year on year: the main figures side by side."""
    series = []
    for year in per_year:
        u = year["units"][0] if year["units"] else rules.empty_unit("", "", "")
        series.append(
            {
                "year": year["year"],
                "ballots": u["turnout"]["ballots"],
                "turnout_pct": u["turnout"]["turnout_pct"],
                "proposals": u["proposals"]["total"],
                "funds_in_fen": u["money"]["funds_in_fen"],
                "committed_fen": u["money"]["committed_fen"],
                "disbursed_fen": u["money"]["disbursed_fen"],
                "spent_pct": u["money"]["spent_pct"],
                "satisfaction": u["satisfaction"]["average"],
                "objections": u["objections"]["total"],
                "upheld": u["objections"]["upheld"],
                "by_source": {s["kind"]: {k: s[k] for k in rules.SOURCE_COMPARED} for s in u["money"]["by_source"]},
            }
        )
    return series
