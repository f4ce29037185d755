"""Self-inspection reports (自查报告): filed by the street's admin, amended with history until the deadline, read by
the district and by that street only."""

from app.evaluation.models import SelfInspectionHistory, SelfInspectionReport
from tests.evaluation.helpers import EV, end_campaign, make_eworld
from tests.programmes.helpers import ok, problem
from tests.proposals.helpers import audit_count, count

REPORT = {
    "work_done": "本年度完成彩田社区两个民生微实事项目，居民参与投票。",
    "problems": "部分项目进度滞后。",
    "lessons": "提前公示、全程公开，居民认可度高。",
}


async def test_a_street_files_and_amends_its_report_and_the_district_reads_it(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    street_a, street_b = ew.pw.tree.street_a.id, ew.pw.tree.street_b.id
    url = f"{EV}/campaigns/{ew.cid}/streets/{street_a}/self-inspection"
    filed = ok(await client.put(url, headers=ew.h["street_a"], json=REPORT), 201)
    assert filed["version"] == 1 and filed["street_name"] == "莲花街道" and filed["history"] == []

    for reader in ("district", "supervisor", "street_a"):
        assert ok(await client.get(url, headers=ew.h[reader]))["work_done"] == REPORT["work_done"]
    problem(await client.get(url, headers=ew.h["street_b"]), 404, "self_inspection_not_found")
    problem(await client.get(url, headers=ew.h["other_district"]), 404, "self_inspection_not_found")
    problem(await client.get(url, headers=ew.h["staff_a1"]), 403, "role_forbidden")
    assert ok(await client.get(f"{EV}/campaigns/{ew.cid}/self-inspections", headers=ew.h["district"]))["total"] == 1
    assert ok(await client.get(f"{EV}/campaigns/{ew.cid}/self-inspections", headers=ew.h["street_b"]))["total"] == 0

    amended = ok(await client.put(url, headers=ew.h["street_a"], json={**REPORT, "rectification": "下月前整改完毕。"}))
    assert amended["version"] == 2 and amended["rectification"] == "下月前整改完毕。"
    assert [(v["version"], v["rectification"]) for v in amended["history"]] == [(1, None)]
    same = ok(await client.put(url, headers=ew.h["street_a"], json={**REPORT, "rectification": "下月前整改完毕。"}))
    assert same["version"] == 2
    assert await audit_count(session, "self_inspection.file") == 1
    assert await audit_count(session, "self_inspection.amend") == 1

    progress = ok(await client.get(f"{EV}/campaigns/{ew.cid}/progress", headers=ew.h["district"]))
    assert progress["self_inspections"] == {"filed": 1, "streets": 2, "missing_street_ids": [str(street_b)]}


async def test_report_refusals_change_nothing(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    tree = ew.pw.tree
    url = f"{EV}/campaigns/{ew.cid}/streets/{tree.street_a.id}/self-inspection"
    problem(await client.put(url, headers=ew.h["street_b"], json=REPORT), 403, "not_street_admin")
    problem(await client.put(url, headers=ew.h["district"], json=REPORT), 403, "role_forbidden")
    problem(
        await client.put(
            f"{EV}/campaigns/{ew.cid}/streets/{tree.community_a1.id}/self-inspection",
            headers=ew.h["street_a"],
            json=REPORT,
        ),
        404,
        "street_not_found",
    )
    problem(await client.put(url, headers=ew.h["street_a"], json={**REPORT, "lessons": ""}), 422, "validation_error")
    assert await count(session, SelfInspectionReport) == 0
    ok(await client.put(url, headers=ew.h["street_a"], json=REPORT), 201)
    await end_campaign(session, ew.cid)
    problem(await client.put(url, headers=ew.h["street_a"], json={**REPORT, "problems": "无"}), 409, "campaign_ended")
    assert ok(await client.get(url, headers=ew.h["district"]))["problems"] == REPORT["problems"]
    assert await count(session, SelfInspectionHistory) == 0
