"""A notice lists a project's funding sources by the public finance page's disclosure rule: a donor unnamed."""

from tests.notices.helpers import published
from tests.programmes.helpers import API, YEAR, ok


async def test_a_donor_hidden_on_the_finance_page_is_hidden_on_the_notice(client, session, app, pw):
    a1 = pw.world.pilot_a1["id"]
    ok(
        await client.post(
            f"{API}/pilots/{a1}/fund-sources",
            headers=pw.h["staff_a1"],
            json={
                "kind": "donation",
                "payer": "张三",
                "document_ref": "捐赠协议001",
                "dated": f"{YEAR}-03-12",
                "planned_fen": 200_000,
            },
        ),
        201,
    )
    notice, _, _ = await published(client, session, app, pw)
    public = ok(await client.get(f"{API}/public/notices/{notice['id']}"))
    for item in public["items"]:
        sources = {s["kind"]: s for s in item["funding_sources"]}
        assert sources["donation"] == {"kind": "donation", "payer": None, "planned_fen": 200_000}
        assert sources["district_subsidy"]["payer"] == "区财政"
    finances = ok(await client.get(f"{API}/public/communities/{pw.tree.community_a1.id}/finances"))
    shown = {s["kind"]: s["payer"] for s in finances["years"][0]["sources"]}
    assert shown == {s["kind"]: s["payer"] for s in public["items"][0]["funding_sources"]}
    page = (await client.get(f"/board/notices/{notice['id']}")).text
    assert "区财政" in page and "张三" not in page
