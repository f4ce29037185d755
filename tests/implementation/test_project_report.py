"""The finance report per project: committed, disbursed and spent, and the projects where they disagree."""

import csv
import io

import openpyxl

from tests.implementation.helpers import (
    acceptance,
    confirmed_project,
    instalment,
    milestones_done,
    started_project,
)
from tests.programmes.helpers import API, ok, problem

URL = f"{API}/funds/reports/projects"


async def test_disbursed_and_spent_per_project_with_mismatches(client, session, app, pw):
    h, fin = pw.h["staff_a1"], pw.h["finance"]
    project = await started_project(client, session, app, pw)  # goods: all paid after acceptance
    pid = project["proposal_id"]
    await milestones_done(client, h, project, "2025-07-01", "2025-08-01")
    ok(await client.post(f"{API}/projects/{pid}/acceptances", headers=h, json=acceptance()), 201)
    ok(await client.post(f"{API}/projects/{pid}/disbursements", headers=fin, json=instalment(1)), 201)
    ok(
        await client.post(
            f"{API}/projects/{pid}/expenditures",
            headers=h,
            json={
                "budget_line": 1,
                "payee": "照明公司",
                "amount_fen": 900_000,
                "invoice_no": "INV9",
                "spent_on": "2025-09-10",
            },
        ),
        201,
    )

    report = ok(await client.get(URL, headers=fin, params={"year": 2025, "as_of": "2025-12-31"}))
    row = next(r for r in report["rows"] if r["project_id"] == pid)
    assert (row["committed_fen"], row["disbursed_fen"], row["spent_fen"], row["difference_fen"], row["status"]) == (
        1_000_000,
        1_000_000,
        900_000,
        100_000,
        "accepted",
    )
    assert [r["project_id"] for r in report["mismatches"]] == [pid]
    ended = ok(await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "ended_only": True}))
    assert ended["mismatches"] == []
    before_spending = ok(await client.get(URL, headers=fin, params={"as_of": "2025-09-05"}))
    assert next(r for r in before_spending["rows"] if r["project_id"] == pid)["spent_fen"] == 0

    ok(
        await client.post(
            f"{API}/projects/{pid}/closure",
            headers=h,
            json={"closed_on": "2025-09-30", "summary": "更换楼道感应灯36盏，居民夜间出行更安全。"},
        ),
        201,
    )
    closed = ok(await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "ended_only": True}))
    assert [(r["project_id"], r["difference_fen"], r["ended"]) for r in closed["mismatches"]] == [(pid, 100_000, True)]

    as_csv = await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.content.startswith(b"\xef\xbb\xbf")
    text = as_csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("项目,社区,年度,状态,已承诺（元）")
    assert "10000.00,10000.00,9000.00,1000.00" in text
    xlsx = await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["项目资金", "拨付与支出不一致", "说明"]
    assert book["拨付与支出不一致"].max_row == 2

    elsewhere = ok(await client.get(URL, headers=pw.h["street_b"], params={"as_of": "2025-12-31"}))
    assert elsewhere["rows"] == []
    problem(await client.get(URL, headers=h), 403, "role_forbidden")


async def test_formula_like_names_reach_the_spreadsheets_as_text(client, session, app, pw):
    """A community renamed `=HYPERLINK(...)` shows in the project report with a quote in front, never as a formula."""
    formula = '=HYPERLINK("http://evil.example/steal","查看附件")'
    await confirmed_project(client, session, app, pw)
    ok(
        await client.patch(
            f"{API}/regions/{pw.world.tree.community_a1.id}", headers=pw.h["district"], json={"name": formula}
        )
    )
    fin = pw.h["finance"]
    text = (await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "csv"})).content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert {row[1] for row in rows[1:]} == {"'" + formula}
    assert rows[1][4] == "10000.00"  # amounts untouched
    xlsx = await client.get(URL, headers=fin, params={"as_of": "2025-12-31", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["项目资金"]
    community = sheet.cell(row=2, column=2)
    assert (community.value, community.data_type) == ("'" + formula, "s")
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
