"""The year's dashboard, read by the public, equals what the finance report, the count and the notices say."""

import csv
import io

from app.core import clock
from app.demo.year import Year


async def check_dashboard(y: Year) -> None:
    """District and streets, the year played and the years around it."""
    district = y.ids["regions"]["福田区"]
    d = await y.get("", f"/public/dashboards/{district}", from_year=y.year - 1, to_year=y.year + 1)
    before, played, after = d["years"]
    assert [u["name"] for u in played["units"]] == ["福田区", "莲花街道", "香蜜湖街道"], played
    # No programme the year before: an empty, valid answer.
    assert not before["has_programme"] and all(
        u["proposals"]["total"] == u["money"]["funds_in_fen"] == 0 for u in before["units"]
    ), before
    assert after["has_programme"], after  # next year's programme is open

    as_of = clock.today().isoformat()
    report = await y.get("finance", "/funds/reports", group_by="street", year=y.year, as_of=as_of, region_id=district)
    figures = ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen", "transferred_out_fen")
    top = played["units"][0]
    assert {k: top["money"][k] for k in figures} == {k: report["totals"][k] for k in figures}, (top, report)
    for row in report["rows"]:
        unit = next(u for u in played["units"] if u["region_id"] == row["key"])
        assert {k: unit["money"][k] for k in figures} == {k: row[k] for k in figures}, (unit, row)
    net = top["money"]["committed_fen"] - top["money"]["returned_fen"]
    assert top["money"]["spent_pct"] == round(top["money"]["disbursed_fen"] * 100 / net, 1)
    await _money_per_source(y, played, as_of)

    # Turnout: the count's ballots, online and on paper; the roll as it stood at the close.
    result = y.ids["result"]
    assert (
        top["turnout"]["ballots"] == result["ballots_counted"] == top["turnout"]["online"] + top["turnout"]["paper"]
    ), (top, result)
    assert top["turnout"]["paper"] >= 1 and top["turnout"]["voters_on_roll"] >= top["turnout"]["ballots"]
    # Objections: one dismissed and one upheld at 公示, the award notice's one answered too; none left open.
    o = top["objections"]
    assert o["upheld"] >= 1 and o["dismissed"] >= 1 and o["open"] == 0 and o["total"] == o["upheld"] + o["dismissed"]
    assert sum(top["grades"].values()) >= 1 and top["satisfaction"]["ratings"] >= 1, top
    assert d["compared"][1]["disbursed_fen"] == top["money"]["disbursed_fen"]
    assert d["compared"][1]["by_source"] == {
        s["kind"]: {k: s[k] for k in ("funds_in_fen", "committed_fen", "returned_fen", "disbursed_fen", "spent_pct")}
        for s in top["money"]["by_source"]
    }, d["compared"][1]

    # The CSV says the same in 元; the board page and its charts are there without logging in.
    export = await y.send(
        "", "GET", f"/public/dashboards/{district}", params={"from_year": y.year, "to_year": y.year, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["区域"] == "福田区" and rows[0]["已拨付（元）"] == f"{top['money']['disbursed_fen'] / 100:.2f}", rows
    page = await y.client.get(f"/board/dashboards/{district}", params={"from_year": y.year, "to_year": y.year + 1})
    assert page.status_code == 200 and "<title>福田区民生微实事年度看板" in page.text, page.text[:300]
    chart = await y.client.get(f"/board/dashboards/{district}/money.svg", params={"from_year": y.year})
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in chart.text and "资金" in chart.text
    paid = await y.client.get(f"/board/dashboards/{district}/sources_paid.svg", params={"from_year": y.year})
    assert paid.status_code == 200 and "区财政补助" in paid.text and "街道配套资金" in paid.text, paid.text[:300]
    again = await y.client.get(f"/board/dashboards/{district}/sources_paid.svg", params={"from_year": y.year})
    assert again.text == paid.text  # no wall-clock date, no random id
    sheet = await y.send(
        "",
        "GET",
        f"/public/dashboards/{district}",
        params={"from_year": y.year, "to_year": y.year, "format": "csv", "table": "sources"},
    )
    lines = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    subsidy = next(s for s in top["money"]["by_source"] if s["kind"] == "district_subsidy")
    row = next(r for r in lines if r["区域"] == "福田区" and r["资金来源"] == "区财政补助")
    fen = subsidy["disbursed_fen"]
    assert row["已拨付（元）"] == f"{fen // 100}.{fen % 100:02d}", (row, subsidy)


async def _money_per_source(y: Year, played: dict, as_of: str) -> None:
    """District and each street: per source, the finance report's figures, adding up to the unit's own, and the
    ledger's invariants held source by source."""
    figures = ("planned_fen", "funds_in_fen", "committed_fen", "returned_fen", "disbursed_fen", "transferred_out_fen")
    for unit in played["units"]:
        report = await y.get(
            "finance", "/funds/reports", group_by="fund_source", year=y.year, as_of=as_of, region_id=unit["region_id"]
        )
        mine = {s["kind"]: s for s in unit["money"]["by_source"]}
        assert {r["key"]: {k: r[k] for k in figures} for r in report["rows"]} == {
            kind: {k: s[k] for k in figures} for kind, s in mine.items()
        }, (unit["name"], report, mine)
        for k in ("funds_in_fen", "committed_fen", "returned_fen", "disbursed_fen", "transferred_out_fen"):
            assert sum(s[k] for s in mine.values()) == unit["money"][k], (unit["name"], k, mine)
        for s in mine.values():
            net = s["committed_fen"] - s["returned_fen"]
            assert 0 <= s["disbursed_fen"] <= net <= s["funds_in_fen"] - s["transferred_out_fen"], (unit["name"], s)
            assert s["spent_pct"] == (round(s["disbursed_fen"] * 100 / net, 1) if net > 0 else None), s
    # 彩田社区's projects cost more than its subsidy: the district's money was spent, and the street's matching funds
    # bore the rest of the commitments.
    top = {s["kind"]: s for s in played["units"][0]["money"]["by_source"]}
    assert top["district_subsidy"]["disbursed_fen"] > 0, top
    assert top["street_matching"]["committed_fen"] > 0, top
