"""The dashboard page's charts: which figures each draws, year on year, for the region itself."""

from typing import Any

from app.dashboards import rules

# name: (title, [(series label, figure of the `compared` rows)], divisor) — money in 元 (fen / 100).
CHARTS: dict[str, tuple[str, list[tuple[str, str]], int]] = {
    "turnout": ("投票人数", [("投票人数", "ballots")], 1),
    "proposals": ("提案数", [("提案数", "proposals")], 1),
    "money": ("资金（元）", [("资金到位", "funds_in_fen"), ("已承诺", "committed_fen"), ("已拨付", "disbursed_fen")],
              100),
    "objections": ("异议", [("异议数", "objections"), ("异议成立", "upheld")], 1),
}


def render(name: str, data: dict[str, Any]) -> str:
    """One chart of a dashboard as SVG."""
    title, series, divisor = CHARTS[name]
    rows = data["compared"]
    values = [(label, [None if r[key] is None else r[key] / divisor for r in rows]) for label, key in series]
    return rules.chart(f"{data['name']} · {title}", [r["year"] for r in rows], values)
