"""Shaping notices for responses (staff and public alike): phases, the calendar note, public objections."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import clock
from app.notices import rules, service
from app.notices.models import Notice, Objection, Reallocation
from app.notices.schemas import NoticeItemRead, PublicObjection, ReallocationRead

WEEKDAY_NOTE = "本公示期限所涉年份尚无国务院节假日安排，按周一至周五为工作日计算。"


def _disclosed(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [service.disclosed_source(s["kind"], s.get("payer"), s.get("planned_fen")) for s in sources]


async def notice_view(session: AsyncSession, notice: Notice) -> dict[str, Any]:
    """The notice with its items, objections (without anything about the objector) and reallocations."""
    today = clock.today()
    items = await service.items_of(session, notice.id)
    objections = await session.scalars(
        select(Objection).where(Objection.notice_id == notice.id).order_by(Objection.submitted_at, Objection.id)
    )
    moves: list[Reallocation] = []
    if notice.round_id or notice.review_panel_id:
        whose = (
            col(Reallocation.round_id) == notice.round_id
            if notice.round_id
            else col(Reallocation.review_panel_id) == notice.review_panel_id
        )
        moves = list(await session.scalars(select(Reallocation).where(whose).order_by(col(Reallocation.created_at))))
    last = max([notice.ends_on, *(i.ends_on for i in items)])
    return {
        "id": notice.id,
        "kind": notice.kind,
        "community_id": notice.community_id,
        "round_id": notice.round_id,
        "review_panel_id": notice.review_panel_id,
        "meeting_id": notice.meeting_id,
        "title": notice.title,
        "body": notice.body,
        "how_to_object": notice.how_to_object,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "window_unit": notice.window_unit,
        "window_days": notice.window_days,
        "assumed_weekdays": notice.assumed_weekdays,
        "calendar_note": WEEKDAY_NOTE if notice.assumed_weekdays else None,
        "status": notice.status,
        "phase": "concluded" if notice.status.value == "concluded" else rules.phase(notice.starts_on, last, today),
        "published_at": notice.published_at,
        "concluded_at": notice.concluded_at,
        "items": [
            NoticeItemRead.model_validate(
                {
                    **i.model_dump(),
                    "phase": rules.phase(i.starts_on, i.ends_on, today),
                    "funding_sources": _disclosed(i.funding_sources),
                }
            )
            for i in items
        ],
        "objections": [PublicObjection.model_validate(o) for o in objections],
        "reallocations": [ReallocationRead.model_validate(m) for m in moves],
    }
