"""The dashboard page and its data for a district with a confirmed project: titled, tables with headers, charts."""

import io
import re

import openpyxl

from tests.implementation.helpers import started_project
from tests.programmes.helpers import API, ok


async def test_dashboard_page_and_its_files(client, session, app, pw):
    await started_project(client, session, app, pw)
    district = pw.tree.district.id
    data = ok(await client.get(f"{API}/public/dashboards/{district}"))
    top = data["years"][0]["units"][0]
    assert [y["year"] for y in data["years"]] == [2025] and top["money"]["committed_fen"] == 1_000_000
    assert top["turnout"]["ballots"] >= 1 and top["objections"]["total"] == 0
    page = await client.get(f"/board/dashboards/{district}")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert re.search(r"<title>[^<]*年度看板", html) and html.count("<h1>") == 1
    assert html.count("<table>") == html.count("<thead>") and "10,000.00 元" in html
    assert f'src="/board/dashboards/{district}/money.svg"' in html and 'alt="' in html
    chart = await client.get(f"/board/dashboards/{district}/money.svg")
    assert chart.status_code == 200 and "<script" not in chart.text
    subsidy = next(s for s in top["money"]["by_source"] if s["kind"] == "district_subsidy")
    assert (subsidy["committed_fen"], subsidy["label"]) == (1_000_000, "区财政补助")
    assert "资金来源：到位、承诺、拨付与退回" in html and f"/board/dashboards/{district}/sources_paid.svg" in html
    paid = await client.get(f"/board/dashboards/{district}/sources_paid.svg")
    assert paid.status_code == 200 and "区财政补助" in paid.text and "Generated with" not in paid.text
    xlsx = await client.get(f"{API}/public/dashboards/{district}", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    rows = [[c.value for c in row] for row in book["资金来源"].iter_rows()]
    assert rows[0][:4] == ["年度", "区域", "资金来源", "计划（元）"] and rows[1][1:3] == ["福田区", "区财政补助"], rows
    empty = ok(await client.get(f"{API}/public/dashboards/{district}", params={"from_year": 2030}))
    assert empty["years"][0]["has_programme"] is False and empty["years"][0]["units"][0]["money"]["funds_in_fen"] == 0
    bad = await client.get(f"{API}/public/dashboards/{district}", params={"from_year": 2030, "to_year": 2020})
    assert bad.status_code == 422 and bad.json()["code"] == "year_range_invalid" and "年度" in bad.json()["detail"]
