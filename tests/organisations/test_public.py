"""Organisations on the public board (issue 27): name, credit code, verified or not, projects and grades;
never contacts or members."""

from tests.organisations.helpers import CODE, person, registered, verified
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import VENTURE_PLAN, body

PRIVATE = ("13900000007", "13900000008", "吴敏", "contact", "legal_representative", "members", "user_id")


async def test_public_organisations_without_personal_data(client, session, app, pw):
    _, h = await person(session, app, pw.tree.community_a1, "13900000007")
    org = await verified(client, pw, h)
    draft = ok(
        await client.post(
            f"{API}/proposals",
            headers=h,
            json=body(
                pw.tree.community_a1.id,
                as_organisation=True,
                kind="venture",
                project_type="services",
                venture_plan=VENTURE_PLAN,
                title="独居老人探访",
            ),
        ),
        201,
    )
    _, other = await person(session, app, pw.tree.community_a1, "13900000008")
    await registered(client, other, pw.tree.community_a1.id, name="景华邻里互助社", credit_code="52440304MJL0002004")

    listed = ok(await client.get(f"{API}/public/organisations"))
    mine = {o["name"]: o for o in listed["items"]}
    assert (mine["彩虹社工服务中心"]["credit_code"], mine["彩虹社工服务中心"]["verified"]) == (CODE, True)
    assert (mine["景华邻里互助社"]["verified"], mine["景华邻里互助社"]["status"]) == (False, "pending")
    # A draft is not public; once submitted it appears, with no grade yet.
    assert mine["彩虹社工服务中心"]["projects"] == []
    ok(await client.post(f"{API}/proposals/{draft['id']}/submit", headers=h))
    one = ok(await client.get(f"{API}/public/organisations/{org['id']}"))
    assert [(p["title"], p["role"], p["grade"]) for p in one["projects"]] == [("独居老人探访", "proposer", None)]
    page = await client.get(f"/board/organisations/{org['id']}")
    assert page.status_code == 200 and "彩虹社工服务中心" in page.text and CODE in page.text
    assert "独居老人探访" in page.text and "已核验" in page.text
    board = await client.get("/board/organisations")
    assert "景华邻里互助社" in board.text and "待核验" in board.text
    for text in (str(listed), str(one), page.text, board.text):
        assert not any(word in text for word in PRIVATE), text
    assert (await client.get(f"{API}/public/organisations/{pw.tree.community_a1.id}")).status_code == 404
    assert (await client.get("/board/organisations/nonsense")).status_code == 404
