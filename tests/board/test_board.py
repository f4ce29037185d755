"""The public notice board (HTML, no login): what it shows, and objections filed through its form."""

import re

from app.notices.models import Objection
from tests.notices.helpers import COSTS, PHONES, item_numbered, published, shift
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import count
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist

ORIGIN = {"Origin": "http://testserver"}
REASON = "该项目与物业公司的维修责任重叠，建议核查。"
CONTACT = "13912345678"


def html(r, status: int = 200) -> str:
    """The page's text after asserting the status and that it is HTML."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def form(item_id, reason: str = REASON, contact: str = "") -> dict:
    """The objection form's fields."""
    return {"item_id": str(item_id), "reason": reason, "contact": contact}


async def test_board_lists_notices_and_shows_projects(client, session, app, pw):
    notice, rnd, _ = await published(client, session, app, pw)
    board = html(await client.get("/board"))
    assert 'lang="zh-CN"' in board and 'name="viewport"' in board and notice["title"] in board
    assert pw.tree.community_a1.name in board and "公示中" in board
    assert notice["title"] in html(await client.get("/board", params={"community_id": str(pw.tree.community_a1.id)}))
    assert notice["title"] not in html(
        await client.get("/board", params={"community_id": str(pw.tree.community_b1.id), "current": "1"})
    )
    assert notice["title"] in html(await client.get("/board", params={"community_id": "", "page": "x"}))

    page = html(await client.get(f"/board/notices/{notice['id']}"))
    for number, amount in ((1, "12,000.00 元"), (2, "10,000.00 元"), (4, "5,000.00 元")):
        item = item_numbered(notice, number)
        assert f"{number}号 {item['title']}" in page and amount in page and item["implementer"] in page
    assert "货物类" in page and "区财政补助" in page and "5 票" in page and notice["ends_on"] in page
    assert "异议" in page and f'action="/board/notices/{notice["id"]}/objections"' in page
    assert (
        "default-src 'none'" in (await client.get(f"/board/notices/{notice['id']}")).headers["content-security-policy"]
    )

    result = html(await client.get(f"/board/rounds/{rnd['id']}"))
    assert "投票结果" in result and "未入选" in result and "有效选票 6 张" in result and "9,000.00 元" in result
    assert "公平性检查" in result and "（本轮）" in result and "均等份额法（MES）" in result
    finances = html(await client.get(f"/board/communities/{pw.tree.community_a1.id}/finances"))
    assert f"{pw.tree.community_a1.name}资金公开" in finances and "区财政补助" in finances
    css = await client.get("/board/static/board.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


async def test_unknown_pages_are_html_404s_and_the_api_document_has_no_board(client):
    for url in (
        "/board/notices/not-a-uuid",
        "/board/notices/00000000-0000-0000-0000-000000000000",
        "/board/rounds/00000000-0000-0000-0000-000000000000",
        "/board/objections/YY-NOPE",
        "/board/communities/00000000-0000-0000-0000-000000000000/finances",
    ):
        assert "出错了" in html(await client.get(url), 404)
    paths = ok(await client.get("/openapi.json"))["paths"]
    assert not [p for p in paths if p.startswith("/board")]


async def test_an_open_round_shows_its_ballot_and_never_counts(client, session, app, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, COSTS)
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([(PHONES[0], "居民", "", "")])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    ok(await cast(client, await resident(session, app, pw.tree.community_a1, PHONES[0]), rnd["id"], [1, 2]), 201)
    page = html(await client.get(f"/board/rounds/{rnd['id']}"))
    assert "结果将在投票结束后公布" in page and "投票中" in page and "12,000.00 元" in page
    assert "<dt>得票</dt>" not in page and " 票" not in page and "入选" not in page and "有效选票" not in page


async def test_an_objection_through_the_form_is_filed_and_tracked(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 2)
    r = await client.post(
        f"/board/notices/{notice['id']}/objections", headers=ORIGIN, data=form(item["id"], contact=CONTACT)
    )
    assert r.status_code == 303, r.text
    code = re.fullmatch(r"/board/objections/(YY-[A-Z0-9-]+)", r.headers["location"]).group(1)
    assert await count(session, Objection, Objection.tracking_code == code, Objection.contact == CONTACT) == 1
    tracked = html(await client.get(r.headers["location"]))
    assert code in tracked and "处理中" in tracked and item["title"] in tracked

    page = html(await client.get(f"/board/notices/{notice['id']}"))
    assert REASON in page and "处理中" in page and CONTACT not in page and CONTACT not in tracked
    queue = ok(await client.get(f"{API}/objections", headers=pw.h["staff_a1"], params={"status": "open"}))
    assert [o["tracking_code"] for o in queue["items"]] == [code]


async def test_refused_objections_re_render_the_form_and_store_nothing(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    url, item = f"/board/notices/{notice['id']}/objections", item_numbered(notice, 1)["id"]

    page = html(await client.post(url, headers=ORIGIN, data=form(item, reason="  ", contact=CONTACT)), 422)
    assert "请填写异议理由" in page and f'value="{CONTACT}"' in page  # what was typed stays in the form
    assert "请选择要提出异议的项目" in html(await client.post(url, headers=ORIGIN, data=form("")), 422)
    assert "不在本公示中" in html(await client.post(url, headers=ORIGIN, data=form(notice["id"])), 404)
    # Posted from another site, or with neither Origin nor Referer: refused (CSRF).
    assert "本站" in html(await client.post(url, headers={"Origin": "https://evil.example"}, data=form(item)), 403)
    html(await client.post(url, data=form(item)), 403)
    html(await client.post(url, headers={"Referer": "https://evil.example/board"}, data=form(item)), 403)
    r = await client.post(url, headers={"Referer": f"http://testserver/board/notices/{notice['id']}"}, data=form(item))
    assert r.status_code == 303  # a browser that sends only a same-origin Referer is fine
    assert await count(session, Objection) == 1

    await shift(session, notice["id"], 30)  # every window is over
    page = html(await client.post(url, headers=ORIGIN, data=form(item, reason="公示期过后提交的异议。")), 409)
    assert "不在受理期内" in page and "目前没有处于异议受理期内的项目" in page
    assert await count(session, Objection) == 1


async def test_floods_get_429_on_the_page(client, session, app, pw):
    notice, _, _ = await published(client, session, app, pw)
    app.state.settings = app.state.settings.model_copy(update={"rate_public_write_per_ip": "2/600"})
    url, item = f"/board/notices/{notice['id']}/objections", item_numbered(notice, 1)["id"]
    for _ in range(2):
        assert (await client.post(url, headers=ORIGIN, data=form(item))).status_code == 303
    r = await client.post(url, headers=ORIGIN, data=form(item))
    assert "提交过于频繁" in html(r, 429) and int(r.headers["retry-after"]) > 0
    assert await count(session, Objection) == 2
