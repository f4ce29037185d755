"""GET /me/data: a person downloads what the service holds about them, and nothing about anyone else."""

import json

from app.auth.models import UserNotice
from tests.notices.helpers import item_numbered, object_to, published
from tests.privacy.helpers import give_phone
from tests.programmes.helpers import API, ok, problem

PHONE = "13900000077"


async def test_a_resident_downloads_their_own_data_and_no_one_elses(client, session, app, pw):
    notice, _, proposals = await published(client, session, app, pw)
    me, other = pw.users["resident"], pw.users["resident2"]
    await give_phone(session, app, me, PHONE)
    ok(
        await client.post(
            f"{API}/communities/{pw.tree.community_a1.id}/voter-roll",
            headers=pw.h["staff_a1"],
            json={"phone": PHONE, "name": "王小明", "household": "3栋501"},
        ),
        201,
    )
    item = item_numbered(notice, 1)["id"]
    mine = ok(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            headers=pw.h["resident"],
            json={"item_id": item, "reason": "预算偏高，请核实报价。", "contact": "王先生"},
        ),
        201,
    )
    theirs = ok(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            headers=pw.h["resident2"],
            json={"item_id": item, "reason": "施工时间影响休息。", "contact": "李女士 13911112222"},
        ),
        201,
    )
    anonymous = ok(await object_to(client, notice["id"], item, contact="匿名者"), 201)
    session.add_all(
        [
            UserNotice(user_id=me.id, message="您的账号所属社区已变更。", changes={}, changed_by="管理员"),
            UserNotice(user_id=other.id, message="别人的通知。", changes={}, changed_by="管理员"),
        ]
    )
    await session.commit()

    data = ok(await client.get(f"{API}/me/data", headers=pw.h["resident"]))
    assert data["profile"]["user_id"] == str(me.id) and data["profile"]["phone_masked"] == "139****0077"
    [entry] = data["roll_entries"]
    assert (entry["community_name"], entry["name"], entry["household"]) == (
        pw.tree.community_a1.name,
        "王小明",
        "3栋501",
    )
    assert entry["votes"] == []  # added after the round closed
    assert sorted(p["proposal_id"] for p in data["proposals"]) == sorted(p["id"] for p in proposals)
    assert [(o["tracking_code"], o["contact"]) for o in data["objections"]] == [(mine["tracking_code"], "王先生")]
    assert [n["message"] for n in data["notifications"]] == ["您的账号所属社区已变更。"]
    assert len(data["sessions"]) == 1 and data["not_included"]
    text = json.dumps(data, ensure_ascii=False)
    for foreign in (
        theirs["tracking_code"],
        anonymous["tracking_code"],
        "李女士",
        "别人的通知",
        str(other.id),
        PHONE,
        "choices",
    ):
        assert foreign not in text

    # The other resident's copy holds their objection, not this one's.
    data2 = ok(await client.get(f"{API}/me/data", headers=pw.h["resident2"]))
    assert [o["tracking_code"] for o in data2["objections"]] == [theirs["tracking_code"]]
    assert data2["proposals"] == [] and data2["roll_entries"] == []


async def test_staff_download_their_own_data_and_an_api_token_has_none(client, pw):
    data = ok(await client.get(f"{API}/me/data", headers=pw.h["staff_a1"]))
    assert data["profile"]["role"] == "community_staff" and data["proposals"] == []
    problem(await client.get(f"{API}/me/data"), 401, "not_authenticated")
