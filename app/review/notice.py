"""公示 of a closed review's selection: the same notice, items and objections a voting round's selection gets."""

import uuid
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.core import clock
from app.core.errors import Conflict, Unprocessable
from app.notices import service as notices
from app.notices.models import Notice, NoticeKind
from app.notifications import outbox
from app.programmes.models import Programme
from app.programmes.service import programme_rules
from app.proposals.lifecycle_service import Process
from app.proposals.models import Proposal
from app.regions.models import Region
from app.review import service
from app.review.models import PanelStatus, ReviewApplication


async def publish(
    session: AsyncSession,
    principal: Principal,
    panel_id: uuid.UUID,
    *,
    starts_on: date | None,
    days: int | None,
    how_to_object: str | None,
) -> Notice:
    """Put the applications the panel selected under notice (入选 → 公示中), each under its organisation's name."""
    panel = await service.get_panel(session, principal, panel_id, manage=True, lock="update")
    if panel.status != PanelStatus.closed:
        raise Conflict("评审结束后才能公示入选项目。", code="panel_not_closed")
    if await session.scalar(select(exists().where(Notice.review_panel_id == panel.id))):
        raise Conflict("本次评审的入选项目已在公示。", code="notice_exists")
    starts_on = starts_on or clock.today()
    if starts_on < clock.today():
        raise Unprocessable("A notice cannot start in the past.", code="notice_in_past")
    programme = await session.get(Programme, panel.programme_id)
    end, days = await notices.window_for(session, programme, starts_on, days)
    rows = (
        await session.execute(
            select(ReviewApplication, Proposal)
            .join(Proposal, Proposal.id == ReviewApplication.proposal_id)
            .where(ReviewApplication.panel_id == panel.id, ReviewApplication.selected.is_(True))
            .order_by(ReviewApplication.number)
        )
    ).all()
    community = await session.get(Region, panel.community_id)
    notice = Notice(
        kind=NoticeKind.selection,
        programme_id=panel.programme_id,
        community_id=panel.community_id,
        region_path=panel.region_path,
        review_panel_id=panel.id,
        title=f"{community.name}{programme.year}年度{panel.title}入选项目公示",
        how_to_object=how_to_object or notices.DEFAULT_HOW_TO_OBJECT,
        starts_on=starts_on,
        ends_on=end.end,
        window_unit=programme_rules(programme).notice.unit,
        window_days=days,
        calendar_sources=list(end.sources),
        assumed_weekdays=end.assumed_weekdays,
        published_by=principal.actor.id,
    )
    session.add(notice)
    await session.flush()
    sources, by = await notices.funding_sources(session, panel.pilot_id), Process("notice", principal.actor)
    for application, proposal in rows:
        await notices.new_item(
            session, notice, proposal, NoticedApplication(application), sources, None, starts_on, end.end, by
        )
    await session.flush()
    await record(
        session,
        principal.actor,
        "notice.publish",
        "notice",
        notice.id,
        after={**notices.snapshot(notice), "review_panel_id": str(panel.id), "projects": [a.number for a, _ in rows]},
        region_path=notice.region_path,
    )
    outbox.notice_published(session, notice)
    return notice


class NoticedApplication:
    """An application as a notice item reads a round's project: number, title, cost; no votes."""

    def __init__(self, application: ReviewApplication) -> None:
        self.number, self.title, self.cost_fen = application.number, application.title, application.cost_fen
        self.proposal_id, self.votes = application.proposal_id, None
