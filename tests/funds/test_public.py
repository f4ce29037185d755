"""The public finance summary (居务公开): no login, everything a resident should see, nothing personal."""

import uuid

from tests.programmes.helpers import API, YEAR, commit, funds_in, movement, ok, problem


async def test_summary_without_login(client, world):
    h, a1 = world.h, world.pilot_a1["id"]
    donation = ok(
        await client.post(
            f"{API}/pilots/{a1}/fund-sources",
            headers=h["staff_a1"],
            json={
                "kind": "donation",
                "payer": "张三",
                "document_ref": "身份证440301199001011234",
                "dated": f"{YEAR}-03-05",
                "note": "联系电话 13800138000",
            },
        ),
        201,
    )
    ok(await funds_in(client, h["staff_a1"], donation["id"], 20_000, f"{YEAR}-03-05"), 201)
    matching = ok(
        await client.post(
            f"{API}/pilots/{a1}/fund-sources",
            headers=h["street_a"],
            json={
                "kind": "street_matching",
                "payer": "莲花街道办事处",
                "document_ref": "莲街〔2025〕8号",
                "dated": f"{YEAR}-03-10",
            },
        ),
        201,
    )
    ok(await funds_in(client, h["street_a"], matching["id"], 1_000_000, f"{YEAR}-03-10"), 201)
    project = uuid.uuid4()
    ok(
        await commit(client, h["district"], a1, 600_000, project_id=project, title="长者饭堂", category="life_care"),
        201,
    )
    ok(await movement(client, h["finance"], "disbursements", project, 300_000, f"{YEAR}-05-01"), 201)
    wrong = ok(await movement(client, h["finance"], "disbursements", project, 1_000, f"{YEAR}-05-02"), 201)
    ok(
        await client.post(
            f"{API}/funds/ledger/{wrong['id']}/reversal",
            headers=h["finance"],
            json={"entry_date": f"{YEAR}-05-03", "reason": "付款对象错误 王五"},
        ),
        201,
    )

    r = await client.get(f"{API}/public/communities/{world.tree.community_a1.id}/finances")
    body = ok(r)
    assert body["community_name"] == "彩田社区"
    [year] = body["years"]
    assert (
        year["year"],
        year["funds_in_fen"],
        year["committed_fen"],
        year["disbursed_fen"],
        year["available_fen"],
    ) == (YEAR, 4_020_000, 600_000, 300_000, 3_420_000)
    sources = {s["kind_label"]: s for s in year["sources"]}
    assert sources["区财政补助"]["received_fen"] == 3_000_000 and sources["区财政补助"]["payer"] == "区财政"
    assert sources["街道配套资金"]["payer"] == "莲花街道办事处"
    assert sources["慈善捐赠"]["received_fen"] == 20_000
    assert sources["慈善捐赠"]["payer"] is None and sources["慈善捐赠"]["document_ref"] is None
    [proj] = year["projects"]
    assert (proj["title"], proj["category_label"], proj["committed_fen"], proj["disbursed_fen"]) == (
        "长者饭堂",
        "生活关爱",
        600_000,
        300_000,
    )
    assert proj["payments"] == [{"date": f"{YEAR}-05-01", "amount_fen": 300_000}]
    for private in (
        "张三",
        "13800138000",
        "4403011990",
        "王五",
        "recorded_by",
        "created_by",
        "note",
        "username",
        "staff",
        "street_admin",
    ):
        assert private not in r.text, private


async def test_other_communities_and_unknown_ids(client, world):
    b1 = ok(await client.get(f"{API}/public/communities/{world.tree.community_b1.id}/finances"))
    assert [y["funds_in_fen"] for y in b1["years"]] == [3_000_000]
    quiet = ok(await client.get(f"{API}/public/communities/{world.tree.community_a2.id}/finances"))
    assert quiet["years"] == []
    problem(await client.get(f"{API}/public/communities/{uuid.uuid4()}/finances"), 404, "community_not_found")
    problem(await client.get(f"{API}/public/communities/{world.tree.street_a.id}/finances"), 404, "community_not_found")
