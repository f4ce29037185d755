"""Arrange a confirmed project through the API: voted, noticed, concluded, money received, confirmed."""

from tests.notices.helpers import item_numbered, published, shift
from tests.programmes.helpers import API, funds_in, ok


async def confirmed_project(client, session, app, pw) -> dict:
    """Project 2 (10,000 yuan) of the standard round, confirmed with its budget committed; its notice item."""
    h = pw.h["staff_a1"]
    notice, _, _ = await published(client, session, app, pw)
    await shift(session, notice["id"], 30)
    ok(await client.post(f"{API}/notices/{notice['id']}/conclude", headers=h))
    ok(await funds_in(client, pw.h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    item = item_numbered(notice, 2)
    ok(await client.post(f"{API}/notice-items/{item['id']}/confirmation", headers=h,
                         json={"entry_date": "2025-06-01"}), 201)
    return item
