"""Who reads an award run's report: an assessor's API token needs `reports:read` and sees only announced runs
(published or final) of the campaign it is bound to, or, unbound, of one its organisation is assigned in.
The report's spreadsheets never carry a formula (app/common/spreadsheet.py)."""

import csv
import io

import openpyxl

from tests.awards.test_award_runs import run_body, scored_world
from tests.evaluation.helpers import EV, assign, end_campaign, issue_token
from tests.programmes.helpers import API, ok, problem


async def _runs(client, session, app, pw):
    """A published run and a computed one of the same campaign, which assessor organisation "assessor" is assigned
    in (its project p2 unscored); "assessor2" is not."""
    ew = await scored_world(client, session, app, pw)
    h = ew.h["district"]
    ok(await assign(client, ew, [ew.projects["p2"]], organisation=ew.orgs["assessor"]), 201)
    await end_campaign(session, ew.cid)
    published = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=h, json=run_body(ew)), 201)
    computed = ok(await client.post(f"{EV}/campaigns/{ew.cid}/award-runs", headers=h, json=run_body(ew)), 201)
    ok(await client.post(f"{API}/award-runs/{published['id']}/approval", headers=h))
    ok(await client.post(f"{API}/award-runs/{published['id']}/publication", headers=h, json={}))
    return ew, published["id"], computed["id"]


def _report(run_id: str) -> str:
    return f"{API}/award-runs/{run_id}/report"


async def test_an_assessor_token_with_reports_read_reads_announced_runs_of_its_campaign(client, session, app, pw):
    ew, published, computed = await _runs(client, session, app, pw)
    bound = await issue_token(client, ew, ew.orgs["assessor"], ew.cid, scopes=("reports:read",))
    rows = ok(await client.get(_report(published), headers=bound))["rows"]
    assert {r["project_id"] for r in rows} == {ew.projects["p1"], ew.projects["p2"]}
    as_csv = await client.get(_report(published), headers=bound, params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    problem(await client.get(_report(computed), headers=bound), 404, "award_run_not_found")  # not announced yet

    without_scope = await issue_token(client, ew, ew.orgs["assessor"], ew.cid, scopes=("assessments:read",))
    problem(await client.get(_report(published), headers=without_scope), 403, "scope_forbidden")
    unassigned = await issue_token(client, ew, ew.orgs["assessor2"], scopes=("reports:read",), issuer="admin")
    problem(await client.get(_report(published), headers=unassigned), 404, "award_run_not_found")
    assigned = await issue_token(client, ew, ew.orgs["assessor"], scopes=("reports:read",))
    assert ok(await client.get(_report(published), headers=assigned))["rows"]  # unbound, but assigned in it
    # The scope reaches the report, nothing else of the run.
    problem(await client.get(f"{API}/award-runs/{published}", headers=bound), 403, "role_forbidden")


async def test_award_report_spreadsheets_quote_formula_like_text(client, session, app, pw):
    ew, published, _ = await _runs(client, session, app, pw)
    formula = '=HYPERLINK("http://evil.example","详情")'
    ok(await client.patch(f"{API}/regions/{ew.pw.tree.street_a.id}", headers=ew.h["district"], json={"name": formula}))
    h = ew.h["district"]
    text = (await client.get(_report(published), headers=h, params={"format": "csv"})).content.decode("utf-8-sig")
    streets = {row[2] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert streets == {"'" + formula}
    xlsx = await client.get(_report(published), headers=h, params={"format": "xlsx", "level": "street"})
    assert xlsx.headers["content-disposition"].startswith('attachment; filename="awards-')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["评估结果"]
    assert (sheet.cell(row=2, column=1).value, sheet.cell(row=2, column=1).data_type) == ("'" + formula, "s")
