"""Award reports from a run's outputs: per project, per street, per campaign; and the grade chart (SVG).

Names come from the region tree at report time; figures come only from the run, so a report never
disagrees with the digest the run recorded.
"""

from html import escape
from typing import Any

import pandas as pd

from app.analytics.award_model import GRADES
from app.common.money import yuan

PROJECT_HEADERS = {
    "rank": "排名",
    "title": "项目",
    "street": "街道",
    "community": "社区",
    "expert_score": "专家评议",
    "third_party_score": "第三方评估",
    "resident_score": "居民评议（满意度）",
    "composite": "综合得分",
    "grade": "等级",
    "awards": "奖项",
    "subsidy_yuan": "以奖代补（元）",
    "rectification": "满意度未达底线（整改）",
    "why": "评奖说明",
    "withdrawn": "异议成立撤销",
    "withdrawn_awards": "已撤销奖项",
}
STREET_HEADERS = {
    "street": "街道",
    "projects": "项目数",
    "mean_composite": "平均综合得分",
    **{g: g for g in GRADES},
    "excellent": "优秀项目",
    "subsidy_yuan": "以奖代补（元）",
}
GRADE_COLOURS = {"优秀": "#2e7d32", "良好": "#1565c0", "合格": "#f9a825", "不合格": "#c62828"}


def plain_yuan(fen: int) -> str:
    """Fen as 元 with two decimals for a spreadsheet column, exact (integer arithmetic, never a float)."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def project_rows(outputs: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per project, ranked first, with street and community names; `outputs` as rules.effective gives
    them, so a withdrawn award keeps its mark and counts nowhere."""
    return [
        {
            "project_id": p["project_id"],
            "rank": p["rank"],
            "title": p["title"],
            "street": names.get(p["street_id"], p["street_id"]),
            "community": names.get(p["community_id"], p["community_id"]),
            "expert_score": p["expert_score"],
            "third_party_score": p["third_party_score"],
            "resident_score": p["resident_score"],
            "composite": p["composite"],
            "grade": p["grade"],
            "awards": "、".join(p["awards"]),
            "subsidy_fen": p["subsidy_fen"],
            "subsidy_yuan": plain_yuan(p["subsidy_fen"]),
            "rectification": p.get("rectification", False),
            "why": p.get("why", ""),
            "withdrawn": p["withdrawn"],
            "withdrawn_awards": "、".join(
                p["withdrawn_awards"]
                + ([f"以奖代补 {yuan(p['withdrawn_subsidy_fen'])}"] if p["withdrawn_subsidy_fen"] else [])
            ),
        }
        for p in outputs["projects"]
    ]


def street_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per street: projects, mean composite, how many of each grade, excellent projects, subsidies."""
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    out = []
    for street, group in frame.groupby("street", sort=True):
        graded = group[group["grade"].notna()]
        out.append(
            {
                "street": street,
                "projects": len(group),
                "mean_composite": None if graded.empty else round(float(graded["composite"].mean()), 2),
                **{g: int((group["grade"] == g).sum()) for g in GRADES},
                "excellent": int(group["awards"].str.contains("优秀项目").sum()),
                "subsidy_fen": int(group["subsidy_fen"].sum()),
                "subsidy_yuan": plain_yuan(int(group["subsidy_fen"].sum())),
            }
        )
    return out


def campaign_summary(outputs: dict[str, Any], rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """The district view: grade counts, awards and money, without withdrawn awards (listed apart)."""
    return {
        "projects": len(rows),
        "grade_counts": outputs["grade_counts"],
        "excellent_projects": len(outputs["excellent_projects"]),
        "model_communities": [
            {**c, "name": names.get(c["community_id"], c["community_id"])} for c in outputs["model_communities"]
        ],
        "work_methods": outputs["work_methods"],
        "subsidies": outputs["subsidies"],
        "withdrawn": outputs["withdrawn"],
    }


def frame(rows: list[dict[str, Any]], headers: dict[str, str]) -> pd.DataFrame:
    """Rows as a table with Chinese headers, in header order."""
    return pd.DataFrame.from_records(
        [{h: r.get(k) for k, h in headers.items()} for r in rows], columns=list(headers.values())
    )


def grade_chart_svg(streets: list[dict[str, Any]], title: str) -> str:
    """Stacked horizontal bars: each street's projects by grade, with a legend; plain SVG, no fonts embedded."""
    bar_h, gap, left, width = 22, 8, 160, 420
    top = 56
    height = top + len(streets) * (bar_h + gap) + 40
    most = max([s["projects"] for s in streets] or [1]) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
        f'viewBox="0 0 {left + width + 60} {height}" font-family="sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<text x="10" y="22" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, grade in enumerate(GRADES):
        x = left + i * 90
        parts.append(
            f'<rect x="{x}" y="32" width="12" height="12" fill="{GRADE_COLOURS[grade]}"/>'
            f'<text x="{x + 16}" y="43">{grade}</text>'
        )
    for row_index, street in enumerate(streets):
        y = top + row_index * (bar_h + gap)
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(str(street["street"]))}</text>')
        x = float(left)
        for grade in GRADES:
            count = street[grade]
            if count:
                w = width * count / most
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{GRADE_COLOURS[grade]}"><title>{escape(str(street["street"]))} {grade} '
                    f"{count}</title></rect>"
                )
                x += w
        label = str(street["projects"]) + (f"（优秀项目 {street['excellent']}）" if street["excellent"] else "")
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)
