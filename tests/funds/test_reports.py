"""Finance reports: figures by every grouping, as of a date, CSV and XLSX content, and the region scope."""

import csv
import io
import uuid

import openpyxl
import pytest

from tests.programmes.helpers import API, YEAR, commit, funds_in, movement, ok, problem

HEADERS = [
    "计划资金（元）",
    "资金到位（元）",
    "已承诺（元）",
    "其中直接安排（未经投票公示）（元）",
    "已拨付（元）",
    "已退回（元）",
    "年终结转/收回（元）",
    "可用余额（元）",
]
FIGURES = ["funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen", "transferred_out_fen", "remaining_fen"]


@pytest.fixture
async def books(client, world):
    """Street a: subsidy + matching, one environment project; street b: subsidy + donation, one sports project."""
    h = world.h
    a1, b1 = world.pilot_a1["id"], world.pilot_b1["id"]
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
    donation = ok(
        await client.post(
            f"{API}/pilots/{b1}/fund-sources",
            headers=h["staff_b1"],
            json={"kind": "donation", "payer": "李四", "document_ref": "捐赠收据 7", "dated": f"{YEAR}-06-01"},
        ),
        201,
    )
    ok(await funds_in(client, h["staff_b1"], donation["id"], 50_000, f"{YEAR}-06-01"), 201)
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    ok(await commit(client, h["district"], a1, 1_200_000, project_id=p1, category="environment"), 201)
    ok(await movement(client, h["finance"], "disbursements", p1, 500_000, f"{YEAR}-05-01"), 201)
    ok(await movement(client, h["finance"], "returns", p1, 100_000, f"{YEAR}-07-01"), 201)
    ok(
        await commit(
            client, h["district"], b1, 800_000, project_id=p2, category="culture_sports", project_type="goods"
        ),
        201,
    )
    ok(await movement(client, h["finance"], "disbursements", p2, 800_000, f"{YEAR}-05-01"), 201)
    return world


def _figures(row: dict) -> list:
    return [row[f] for f in FIGURES]


STREET_A = [4_000_000, 1_200_000, 500_000, 100_000, 0, 2_900_000]
STREET_B = [3_050_000, 800_000, 800_000, 0, 0, 2_250_000]
TOTAL = [7_050_000, 2_000_000, 1_300_000, 100_000, 0, 5_150_000]


async def _report(client, h, **params) -> dict:
    params.setdefault("as_of", f"{YEAR}-12-31")
    return ok(await client.get(f"{API}/funds/reports", headers=h, params=params))


async def test_by_street_and_community(client, books):
    h = books.h["finance"]
    report = await _report(client, h, group_by="street")
    assert sorted((r["label"], _figures(r)) for r in report["rows"]) == sorted(
        [("莲花街道", STREET_A), ("香蜜湖街道", STREET_B)]
    )
    assert _figures(report["totals"]) == TOTAL and report["totals"]["label"] == "合计"
    by_community = await _report(client, h, group_by="community")
    assert sorted((r["label"], _figures(r)) for r in by_community["rows"]) == sorted(
        [("彩田社区", STREET_A), ("香岭社区", STREET_B)]
    )
    by_pilot = await _report(client, h, group_by="pilot")
    assert sorted(r["label"] for r in by_pilot["rows"]) == [f"彩田社区 {YEAR}", f"香岭社区 {YEAR}"]
    district = await _report(client, h, group_by="district")
    assert [(r["label"], _figures(r)) for r in district["rows"]] == [("福田区", TOTAL)]
    year = await _report(client, h, group_by="year")
    assert [(r["label"], _figures(r)) for r in year["rows"]] == [(f"{YEAR}年度", TOTAL)]


async def test_by_fund_source_and_category(client, books):
    h = books.h["finance"]
    sources = await _report(client, h, group_by="fund_source")
    # Commitments, payments and returns name the sources they drew on: the district subsidy first, so it bears all.
    assert {r["label"]: _figures(r) for r in sources["rows"]} == {
        "区财政补助": [6_000_000, 2_000_000, 1_300_000, 100_000, 0, 4_100_000],
        "街道配套资金": [1_000_000, 0, 0, 0, 0, 1_000_000],
        "慈善捐赠": [50_000, 0, 0, 0, 0, 50_000],
    }
    assert {r["label"]: r["planned_fen"] for r in sources["rows"]} == {
        "区财政补助": 6_000_000,
        "街道配套资金": 0,
        "慈善捐赠": 0,
    }
    assert _figures(sources["totals"]) == TOTAL
    categories = await _report(client, h, group_by="category")
    assert {r["label"]: _figures(r) for r in categories["rows"]} == {
        "社区环境整治": [None, 1_200_000, 500_000, 100_000, None, None],
        "文体娱乐": [None, 800_000, 800_000, 0, None, None],
    }
    assert _figures(categories["totals"]) == TOTAL


async def test_as_of_a_date_and_reversals(client, books):
    h = books.h["finance"]
    early = await _report(client, h, group_by="street", as_of=f"{YEAR}-04-30")
    assert {r["label"]: _figures(r) for r in early["rows"]} == {
        "莲花街道": [4_000_000, 1_200_000, 0, 0, 0, 2_800_000],
        "香蜜湖街道": [3_000_000, 800_000, 0, 0, 0, 2_200_000],
    }
    ledger = ok(await client.get(f"{API}/pilots/{books.pilot_b1['id']}/ledger", headers=h))["items"]
    donation = next(e for e in ledger if e["kind"] == "funds_in" and e["amount_fen"] == 50_000)
    ok(
        await client.post(
            f"{API}/funds/ledger/{donation['id']}/reversal",
            headers=books.h["staff_b1"],
            json={"entry_date": f"{YEAR}-08-01", "reason": "捐赠退回"},
        ),
        201,
    )
    before = await _report(client, h, group_by="street", as_of=f"{YEAR}-07-31")
    after = await _report(client, h, group_by="street", as_of=f"{YEAR}-08-01")
    assert {r["label"]: r["funds_in_fen"] for r in before["rows"]}["香蜜湖街道"] == 3_050_000
    assert {r["label"]: r["funds_in_fen"] for r in after["rows"]}["香蜜湖街道"] == 3_000_000


async def test_csv(client, books):
    r = await client.get(
        f"{API}/funds/reports",
        headers=books.h["finance"],
        params={"group_by": "street", "as_of": f"{YEAR}-12-31", "format": "csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["街道", *HEADERS]
    assert sorted(rows[1:3]) == sorted(
        [
            ["莲花街道", "30000.00", "40000.00", "12000.00", "12000.00", "5000.00", "1000.00", "0.00", "29000.00"],
            ["香蜜湖街道", "30000.00", "30500.00", "8000.00", "8000.00", "8000.00", "0.00", "0.00", "22500.00"],
        ]
    )
    assert rows[3] == [
        "合计",
        "60000.00",
        "70500.00",
        "20000.00",
        "20000.00",
        "13000.00",
        "1000.00",
        "0.00",
        "51500.00",
    ]
    assert len(rows) == 4


async def test_xlsx(client, books):
    r = await client.get(
        f"{API}/funds/reports",
        headers=books.h["finance"],
        params={"group_by": "category", "as_of": f"{YEAR}-12-31", "format": "xlsx"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book["财务报表"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["项目类别", *HEADERS]
    body = {row[0]: row[1:] for row in rows[1:-1]}
    assert body == {
        "社区环境整治": [None, None, 12000, 12000, 5000, 1000, None, None],
        "文体娱乐": [None, None, 8000, 8000, 8000, 0, None, None],
    }
    assert rows[-1] == ["合计", 60000, 70500, 20000, 20000, 13000, 1000, 0, 51500]
    assert all(c.number_format == "#,##0.00" for row in sheet.iter_rows(min_row=2, min_col=2) for c in row)
    assert sheet.cell(row=sheet.max_row, column=1).font.bold
    about = {row[0].value: row[1].value for row in book["说明"].iter_rows(min_row=2)}
    assert about["截至日期"] == f"{YEAR}-12-31"


async def test_xlsx_keeps_the_cents(client, books):
    ok(await commit(client, books.h["district"], books.pilot_a1["id"], 12_345, category="safety"), 201)
    r = await client.get(
        f"{API}/funds/reports",
        headers=books.h["finance"],
        params={"group_by": "category", "as_of": f"{YEAR}-12-31", "format": "xlsx"},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(r.content))["财务报表"]
    values = {row[0].value: row[1:] for row in sheet.iter_rows(min_row=2)}
    assert values["安全保障"][2].value == pytest.approx(123.45)
    assert values["安全保障"][2].number_format == "#,##0.00"


async def test_street_finance_sees_only_their_street(client, books):
    h = books.h["finance_a"]
    report = await _report(client, h, group_by="community")
    assert [(r["label"], _figures(r)) for r in report["rows"]] == [("彩田社区", STREET_A)]
    assert _figures(report["totals"]) == STREET_A
    problem(
        await client.get(f"{API}/funds/reports", headers=h, params={"region_id": str(books.tree.street_b.id)}),
        404,
        "region_not_found",
    )
    problem(
        await client.get(f"{API}/funds/reports", headers=h, params={"region_id": str(books.tree.district.id)}),
        404,
        "region_not_found",
    )
    mine = await _report(client, h, group_by="street", region_id=str(books.tree.community_a1.id))
    assert [r["label"] for r in mine["rows"]] == ["莲花街道"]
    rows = list(
        csv.reader(
            io.StringIO(
                (
                    await client.get(f"{API}/funds/reports", headers=h, params={"group_by": "street", "format": "csv"})
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert [row[0] for row in rows[1:]] == ["莲花街道", "合计"]


async def test_who_may_pull_reports(client, books):
    problem(await client.get(f"{API}/funds/reports", headers=books.h["staff_a1"]), 403, "role_forbidden")
    problem(await client.get(f"{API}/funds/reports"), 401, "not_authenticated")
    other = await _report(client, books.h["other_district"], group_by="street")
    assert other["rows"] == [] and _figures(other["totals"])[:5] == [0, 0, 0, 0, 0]
    ok(await client.get(f"{API}/funds/reports", headers=books.h["supervisor"]))
    problem(
        await client.get(f"{API}/funds/reports", headers=books.h["finance"], params={"group_by": "mood"}),
        422,
        "validation_error",
    )
    problem(
        await client.get(f"{API}/funds/reports", headers=books.h["finance"], params={"format": "pdf"}),
        422,
        "validation_error",
    )
