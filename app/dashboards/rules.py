"""Pure parts of a dashboard: the shape of one unit's figures, shares, the CSV rows and the SVG bar chart."""

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pygal
from pygal.style import Style

from app.funds.export import yuan as fen_to_yuan
from app.funds.rules import SOURCE_LABELS
from app.programmes.enums import CATEGORY_LABELS
from app.proposals.enums import KIND_LABELS

_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
# pygal stamps each chart with the wall-clock date and a random id: both go, so one set of figures is one SVG.
_GENERATED = re.compile(r"<!--Generated with pygal.*?-->")
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OBJECTION_OUTCOMES = ("open", "dismissed", "upheld")
GRADES = ("优秀", "良好", "合格", "不合格")
# Dark enough on white for WCAG AA text contrast, and large type for the large-text board.
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#555",
    colors=("#1f5fa8", "#b3541e", "#2e7d32", "#6a1b9a"),
    font_family="sans-serif",
    title_font_size=18,
    label_font_size=14,
    legend_font_size=14,
    value_font_size=12,
)


def empty_unit(region_id: str, name: str, level: str) -> dict[str, Any]:
    """A unit with nothing yet: every count zero, every average and share null."""
    return {
        "region_id": region_id,
        "name": name,
        "level": level,
        "turnout": {"rounds": 0, "voters_on_roll": 0, "ballots": 0, "online": 0, "paper": 0, "turnout_pct": None},
        "proposals": {"total": 0, "by_category": {}, "by_kind": {}},
        "money": {
            "funds_in_fen": 0,
            "committed_fen": 0,
            "disbursed_fen": 0,
            "returned_fen": 0,
            "transferred_out_fen": 0,
            "spent_pct": None,
            "by_source": [],
        },
        "satisfaction": {"ratings": 0, "average": None},
        "grades": dict.fromkeys(GRADES, 0),
        "objections": {"total": 0, **dict.fromkeys(OBJECTION_OUTCOMES, 0)},
    }


def pct(part: int, whole: int) -> float | None:
    """part / whole in percent with one decimal; None when there is no whole."""
    return None if whole <= 0 else round(part * 100 / whole, 1)


def finish(unit: dict[str, Any]) -> dict[str, Any]:
    """Derived figures: turnout share, and the share of the net commitment paid out."""
    t, m = unit["turnout"], unit["money"]
    t["turnout_pct"] = pct(t["ballots"], t["voters_on_roll"])
    m["spent_pct"] = pct(m["disbursed_fen"], m["committed_fen"] - m["returned_fen"])
    return unit


MONEY_HEADERS = ("资金到位（元）", "已承诺（元）", "已拨付（元）", "已退回（元）")
# One source's figures, as the finance report by fund source has them (committed is gross, as there).
SOURCE_FIGURES = (
    "planned_fen",
    "funds_in_fen",
    "committed_fen",
    "returned_fen",
    "disbursed_fen",
    "transferred_out_fen",
)
SOURCE_COMPARED = ("funds_in_fen", "committed_fen", "returned_fen", "disbursed_fen", "spent_pct")
SOURCE_HEADERS = {
    "planned_fen": "计划（元）",
    "funds_in_fen": "资金到位（元）",
    "committed_fen": "已承诺（元）",
    "returned_fen": "已退回（元）",
    "disbursed_fen": "已拨付（元）",
    "transferred_out_fen": "年终转出（元）",
}


def source_figures(kind: str | None, label: str, figures: Mapping[str, int | None]) -> dict[str, Any]:
    """One source's money for the dashboard: the report's figures and the share of its net commitment paid out."""
    out: dict[str, Any] = {"kind": kind, "label": label, **{k: int(figures.get(k) or 0) for k in SOURCE_FIGURES}}
    out["spent_pct"] = pct(out["disbursed_fen"], out["committed_fen"] - out["returned_fen"])
    return out


def source_records(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per year, unit and fund source for CSV and XLSX, money as exact 元 (Decimal)."""
    return [
        {
            "年度": year["year"],
            "区域": u["name"],
            "资金来源": s["label"],
            **{h: fen_to_yuan(s[k]) for k, h in SOURCE_HEADERS.items()},
            "拨付率（%）": s["spent_pct"],
        }
        for year in dashboard["years"]
        for u in year["units"]
        for s in u["money"]["by_source"]
    ]


SOURCE_COLUMNS = ["年度", "区域", "资金来源", *SOURCE_HEADERS.values(), "拨付率（%）"]


def table_records(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per year and unit for CSV and XLSX: Chinese headers, money as exact 元 (Decimal)."""
    records = []
    for year in dashboard["years"]:
        for u in year["units"]:
            t, m, s, o = u["turnout"], u["money"], u["satisfaction"], u["objections"]
            records.append(
                {
                    "年度": year["year"],
                    "区域": u["name"],
                    "名册人数": t["voters_on_roll"],
                    "投票人数": t["ballots"],
                    "线上投票": t["online"],
                    "纸质投票": t["paper"],
                    "投票率（%）": t["turnout_pct"],
                    "提案数": u["proposals"]["total"],
                    **dict(
                        zip(
                            MONEY_HEADERS,
                            (
                                fen_to_yuan(m[k])
                                for k in ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen")
                            ),
                            strict=True,
                        )
                    ),
                    "拨付率（%）": m["spent_pct"],
                    "满意度评价数": s["ratings"],
                    "平均满意度": s["average"],
                    **{f"评估{g}": u["grades"][g] for g in GRADES},
                    "异议数": o["total"],
                    "异议成立": o["upheld"],
                    "异议不成立": o["dismissed"],
                    "异议处理中": o["open"],
                }
            )
    return records


def table_columns() -> list[str]:
    """The CSV and XLSX headers, also for a dashboard with no rows."""
    return list(table_records({"years": [{"year": 0, "units": [empty_unit("", "", "")]}]})[0])


def labels(kind: str, key: str) -> str:
    """The Chinese label of a category, kind or fund source key."""
    tables: dict[str, Mapping[Any, str]] = {"category": CATEGORY_LABELS, "kind": KIND_LABELS, "source": SOURCE_LABELS}
    table = tables[kind]
    return str({str(getattr(k, "value", k)): v for k, v in table.items()}.get(key, key))


def chart(title: str, years: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]]) -> str:
    """Grouped bars, one group per year and one bar per series, as SVG drawn on the server by pygal: no script
    (pygal's tooltips would load JavaScript from a CDN), titled for screen readers."""
    bars = pygal.Bar(
        js=[],
        title=title,
        x_labels=[f"{y}年" for y in years],
        width=720,
        height=360,
        legend_at_bottom=True,
        show_y_guides=True,
        print_values=True,
        print_zeroes=True,
        style=_STYLE,
        disable_xml_declaration=True,
        explicit_size=False,
    )
    for name, values in series:
        bars.add(name, list(values))
    # The inline config script is for pygal's tooltips, which are left out: the board runs no JavaScript.
    svg = _GENERATED.sub("", _SCRIPT.sub("", bars.render(is_unicode=True)))
    stable = hashlib.sha256(repr((title, list(years), [(n, list(v)) for n, v in series])).encode()).hexdigest()
    return _CHART_ID.sub(f"chart-{stable[:16]}", svg)
