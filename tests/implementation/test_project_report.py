"""The finance report per project: committed, disbursed and spent, and the projects where they disagree."""

import io

import openpyxl

from tests.implementation.helpers import acceptance, instalment, milestones_done, started_project
from tests.programmes.helpers import API, ok, problem

URL = f"{API}/funds/reports/projects"


async def test_disbursed_and_spent_per_project_with_mismatches(client, session, app, pw):
    h, fin = pw.h["staff_a1"], pw.h["finance"]
    project = await started_project(client, session, app, pw)  # goods: all paid after acceptance
    pid = project["proposal_id"]
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    ok(await client.post(f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance()), 201)
    ok(await client.post(f"{API}/projects/{pid}/disbursements", headers=fin, json=instalment(1)), 201)
    ok(await client.post(f"{API}/projects/{pid}/expenditures", headers=h, json={
        "budget_line": 1, "payee": "照明公司", "amount_fen": 900_000, "invoice_no": "INV9", "spent_on": "2025-09-10"}),
        201)

    report = ok(await client.get(URL, headers=fin, params={"year": 2025, "as_of": "2025-12-31"}))
    row = next(r for r in report["rows"] if r["project_id"] == pid)
    assert (row["committed_fen"], row["disbursed_fen"], row["spent_fen"], row["difference_fen"], row["status"]) == (
        1_000_000, 1_000_000, 900_000, 100_000, "accepted")
    assert [r["project_id"] for r in report["mismatches"]] == [pid]
    ended = ok(await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "ended_only": True}))
    assert ended["mismatches"] == []
    before_spending = ok(await client.get(URL, headers=fin, params={"as_of": "2025-09-05"}))
    assert next(r for r in before_spending["rows"] if r["project_id"] == pid)["spent_fen"] == 0

    ok(await client.post(f"{API}/projects/{pid}/closure", headers=h, json={
        "closed_on": "2025-09-30", "summary": "更换楼道感应灯36盏，居民夜间出行更安全。"}), 201)
    closed = ok(await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "ended_only": True}))
    assert [(r["project_id"], r["difference_fen"], r["ended"]) for r in closed["mismatches"]] == [(pid, 100_000, True)]

    csv = await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "csv"})
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("项目,社区,年度,状态,已承诺（元）")
    assert "10000.00,10000.00,9000.00,1000.00" in text
    xlsx = await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["项目资金", "拨付与支出不一致", "说明"]
    assert book["拨付与支出不一致"].max_row == 2

    elsewhere = ok(await client.get(URL, headers=pw.h["street_b"], params={"as_of": "2025-12-31"}))
    assert elsewhere["rows"] == []
    problem(await client.get(URL, headers=h), 403, "role_forbidden")
