"""The dashboard page's charts: which figures each draws, year on year, for the region itself."""

from typing import Any

from app.dashboards import rules
from app.funds.rules import DRAW_ORDER, SOURCE_LABELS

# name: (title, [(series label, figure of the `compared` rows)], divisor) — money in 元 (fen / 100).
CHARTS: dict[str, tuple[str, list[tuple[str, str]], int]] = {
    "turnout": ("投票人数", [("投票人数", "ballots")], 1),
    "proposals": ("提案数", [("提案数", "proposals")], 1),
    "money": (
        "资金（元）",
        [("资金到位", "funds_in_fen"), ("已承诺", "committed_fen"), ("已拨付", "disbursed_fen")],
        100,
    ),
    "objections": ("异议", [("异议数", "objections"), ("异议成立", "upheld")], 1),
}
# name: (title, figure of each source): one series per fund source the years shown have, in the draw order.
SOURCE_CHARTS: dict[str, tuple[str, str]] = {
    "sources_received": ("各来源资金到位（元）", "funds_in_fen"),
    "sources_paid": ("各来源已拨付（元）", "disbursed_fen"),
    "sources_returned": ("各来源已退回（元）", "returned_fen"),
}
NAMES = (*CHARTS, *SOURCE_CHARTS)


def _series(name: str, data: dict[str, Any]) -> tuple[str, list[tuple[str, list[float | None]]]]:
    rows = data["compared"]
    if name in CHARTS:
        title, series, divisor = CHARTS[name]
        return title, [(label, [None if r[key] is None else r[key] / divisor for r in rows]) for label, key in series]
    title, figure = SOURCE_CHARTS[name]
    kinds = [k for k in DRAW_ORDER if any(k.value in r["by_source"] for r in rows)]
    return title, [
        (SOURCE_LABELS[k], [r["by_source"][k.value][figure] / 100 if k.value in r["by_source"] else 0 for r in rows])
        for k in kinds
    ]


def render(name: str, data: dict[str, Any]) -> str:
    """One chart of a dashboard as SVG."""
    title, series = _series(name, data)
    return rules.chart(f"{data['name']} · {title}", [r["year"] for r in data["compared"]], series)


def figures(data: dict[str, Any]) -> list[dict[str, str]]:
    """Each chart's name, title and text alternative (the same figures in words), for the page."""
    out = []
    for name in NAMES:
        title, series = _series(name, data)
        if not series:
            continue
        years = [r["year"] for r in data["compared"]]
        alt = "；".join(
            f"{year}年 " + "，".join(f"{label} {'—' if values[i] is None else values[i]}" for label, values in series)
            for i, year in enumerate(years)
        )
        out.append({"name": name, "title": title, "alt": f"{data['name']}历年{title}：{alt}"})
    return out
