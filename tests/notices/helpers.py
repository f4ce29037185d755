"""Arrange notices through the API: a closed round (selected 2, 1, 4 of four), published; shift windows in time."""

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.models import utcnow
from app.notices.models import Notice, NoticeItem
from app.notices.rules import today
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONES = [f"1380000{i:04d}" for i in range(1, 7)]
# Costs 12,000 / 10,000 / 9,000 / 5,000 yuan; with these ballots 1 and 2 get 5 votes, 3 gets 4, 4 gets 3:
# greedy under 30,000 selects 2, 1 and 4; 3 does not fit in the 8,000 left.
COSTS = [1_200_000, 1_000_000, 900_000, 500_000]
BALLOTS = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 4], [1, 4], [2, 3, 4]]


async def closed_round(client, session: AsyncSession, app, pw) -> tuple[dict, list[dict]]:
    """A counted round of community a1 and its four proposals (ballot numbers 1-4)."""
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    ok(
        await import_roll(
            client, h, pw.tree.community_a1.id, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])
        )
    )
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    for phone, ballot in zip(PHONES, BALLOTS, strict=True):
        ok(await cast(client, await resident(session, app, pw.tree.community_a1, phone), rnd["id"], ballot), 201)
    await end_window(session, rnd["id"])
    ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=h))
    return rnd, proposals


async def published(client, session, app, pw, **body) -> tuple[dict, dict, list[dict]]:
    """The closed round's selection under notice: (notice, round, proposals)."""
    rnd, proposals = await closed_round(client, session, app, pw)
    notice = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/notice", headers=pw.h["staff_a1"], json=body), 201)
    return notice, rnd, proposals


async def shift(session: AsyncSession, notice_id, days: int) -> None:
    """Move the notice and its items `days` into the past (negative: into the future)."""
    nid = uuid.UUID(str(notice_id))
    delta = timedelta(days=days)
    for table in (Notice, NoticeItem):
        column = table.id if table is Notice else table.notice_id
        rows = (await session.execute(select(table.id, table.starts_on, table.ends_on).where(column == nid))).all()
        for row_id, starts_on, ends_on in rows:  # date arithmetic in Python: SQLite has no date type
            await session.execute(
                update(table).where(table.id == row_id).values(starts_on=starts_on - delta, ends_on=ends_on - delta)
            )
    await session.commit()


def item_numbered(notice: dict, number: int) -> dict:
    """The notice's item for ballot number `number`."""
    return next(i for i in notice["items"] if i["number"] == number)


def object_to(client, notice_id, item_id, reason: str = "该项目与物业公司维修责任重叠，建议核查。", **over):
    """POST an objection anonymously (the response, unchecked)."""
    return client.post(
        f"{API}/public/notices/{notice_id}/objections", json={"item_id": item_id, "reason": reason, **over}
    )


def local_today():
    """Today in Asia/Shanghai."""
    return today(utcnow())
