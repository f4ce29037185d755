"""The voter roll: all-or-nothing CSV import with line numbers, masked phones, audited additions and removals."""

from app.voting.models import VoterRollEntry
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, count
from tests.voting.helpers import import_roll, roll_csv


async def test_import_reports_every_bad_line_and_imports_nothing(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    data = roll_csv(
        [
            ("13800000001", "张三", "", ""),
            ("1380000", "李四", "", ""),
            ("13800000003", "", "", ""),
            ("13800000001", "王五", "", ""),
            ("13800000005", "赵六", "不存在的小区", ""),
        ]
    )
    body = problem(await import_roll(client, h, a1, data), 422, "csv_invalid")
    assert [e["line"] for e in body["errors"]] == [3, 4, 5, 6]
    assert "11-digit" in body["errors"][0]["message"] and "name is empty" in body["errors"][1]["message"]
    assert "already on line 2" in body["errors"][2]["message"] and "不存在的小区" in body["errors"][3]["message"]
    assert await count(session, VoterRollEntry) == 0


async def test_import_gb18030_masks_phones_and_is_repeatable(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    data = "手机号,姓名,户号\n+86 138-0000-0001,张三,3栋501\n13800000002,李四,3栋501\n".encode("gb18030")
    assert ok(await import_roll(client, h, a1, data)) == {
        "encoding": "gb18030",
        "added": 2,
        "readded": 0,
        "unchanged": 0,
    }
    page = ok(await client.get(f"{API}/communities/{a1}/voter-roll", headers=h))
    assert page["total"] == 2 and {e["phone_masked"] for e in page["items"]} == {"138****0001", "138****0002"}
    assert "13800000001" not in str(page) and page["items"][0]["household"] == "3栋501"
    # The same file again changes nothing.
    assert ok(await import_roll(client, h, a1, data))["unchanged"] == 2
    assert await count(session, VoterRollEntry) == 2 and await audit_count(session, "voter_roll.import") == 2


async def test_add_remove_readd_are_audited(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    entry = ok(
        await client.post(
            f"{API}/communities/{a1}/voter-roll", headers=h, json={"phone": "13900000001", "name": "陈七"}
        ),
        201,
    )
    assert entry["active"] is True and entry["phone_masked"] == "139****0001"
    problem(
        await client.post(
            f"{API}/communities/{a1}/voter-roll", headers=h, json={"phone": "139 0000 0001", "name": "陈七"}
        ),
        409,
        "already_on_roll",
    )
    problem(
        await client.post(
            f"{API}/communities/{a1}/voter-roll", headers=h, json={"phone": "12345678901", "name": "陈七"}
        ),
        422,
        "phone_invalid",
    )
    removed = ok(await client.post(f"{API}/voter-roll/{entry['id']}/removal", headers=h, json={"reason": "已搬离"}))
    assert removed["active"] is False and removed["removal_reason"] == "已搬离"
    problem(
        await client.post(f"{API}/voter-roll/{entry['id']}/removal", headers=h, json={"reason": "x"}),
        409,
        "already_removed",
    )
    assert ok(await client.get(f"{API}/communities/{a1}/voter-roll", headers=h))["total"] == 0
    back = ok(
        await client.post(
            f"{API}/communities/{a1}/voter-roll", headers=h, json={"phone": "13900000001", "name": "陈七"}
        ),
        201,
    )
    assert back["id"] == entry["id"] and back["active"] is True
    for action in ("voter_roll.add", "voter_roll.remove", "voter_roll.readd"):
        assert await audit_count(session, action) == 1


async def test_roll_access_by_region_and_role(client, pw):
    a1 = pw.tree.community_a1.id
    problem(
        await client.get(f"{API}/communities/{a1}/voter-roll", headers=pw.h["staff_b1"]), 404, "community_not_found"
    )
    ok(await client.get(f"{API}/communities/{a1}/voter-roll", headers=pw.h["supervisor"]))
    problem(
        await client.post(
            f"{API}/communities/{a1}/voter-roll",
            headers=pw.h["district"],
            json={"phone": "13900000001", "name": "陈七"},
        ),
        403,
        "role_forbidden",
    )
    problem(
        await client.post(
            f"{API}/communities/{a1}/voter-roll",
            headers=pw.h["resident"],
            json={"phone": "13900000001", "name": "陈七"},
        ),
        403,
        "role_forbidden",
    )
    ok(
        await client.post(
            f"{API}/communities/{a1}/voter-roll",
            headers=pw.h["street_a"],
            json={"phone": "13900000002", "name": "周八"},
        ),
        201,
    )


async def test_roll_search_takes_names_and_last_four_digits_never_a_full_phone(client, session, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    await import_roll(client, h, a1, roll_csv([("13800008001", "张三", "", ""), ("13900001234", "李四", "", "")]))
    url = f"{API}/communities/{a1}/voter-roll"

    async def names(q: str) -> list[str]:
        return [e["name"] for e in ok(await client.get(url, headers=h, params={"q": q}))["items"]]

    assert await names("张") == ["张三"] and await names("8001") == ["张三"] and await names("８００１") == ["张三"]
    # A full phone (any spelling) would confirm a guess of the masked digits: 10,000 tries recover 138****8001.
    for q in ("13800008001", "138 0000 8001", "+8613800008001", "１３８００００８００１", "0000800"):
        body = problem(await client.get(url, headers=h, params={"q": q}), 422, "phone_search_refused")
        assert "后四位" in body["detail"]
