"""Award rules (pure): the awards a run grants, one notice item each, and its outputs without withdrawn awards.

A run's stored outputs never change (their digest is published); what an upheld objection withdrew is
taken out here, at read time, so every sum, count and export agrees with the notice.
"""

from dataclasses import dataclass
from typing import Any

PROJECT, COMMUNITY, WORK_METHOD = "project", "community", "work_method"
KIND_LABELS = {PROJECT: "项目奖项", COMMUNITY: "示范社区", WORK_METHOD: "社区工作法"}

Withdrawn = dict[str, set[str]]  # award kind → keys (project, community or nomination ids)


def no_withdrawals() -> Withdrawn:
    return {PROJECT: set(), COMMUNITY: set(), WORK_METHOD: set()}


def yuan(fen: int) -> str:
    """Fen as 元 with two decimals and thousands separators, for human text."""
    return f"{fen // 100:,}.{fen % 100:02d}"


@dataclass(frozen=True)
class Award:
    """One award of a run as it goes under notice."""

    kind: str
    key: str
    title: str
    summary: str
    amount_fen: int
    community_id: str
    number: int | None


def project_summary(project: dict[str, Any]) -> str:
    parts = [f"综合得分 {project['composite']:.2f}，等级 {project['grade']}，排名第 {project['rank']} 名"]
    parts += project["awards"]
    if project["subsidy_fen"]:
        parts.append(f"以奖代补 {yuan(project['subsidy_fen'])} 元")
    return "；".join(parts)


def awards_of(outputs: dict[str, Any], names: dict[str, str]) -> list[Award]:
    """Every award a run grants: each awarded project (优秀项目 and/or 以奖代补), each 示范社区, each 社区工作法."""
    out = [
        Award(
            PROJECT,
            p["project_id"],
            p["title"][:100],
            project_summary(p),
            p["subsidy_fen"],
            p["community_id"],
            p["rank"],
        )
        for p in outputs["projects"]
        if p["awards"] or p["subsidy_fen"]
    ]
    for c in outputs["model_communities"]:
        name = names.get(c["community_id"], c["community_id"])
        out.append(
            Award(
                COMMUNITY,
                c["community_id"],
                f"示范社区：{name}"[:100],
                f"示范社区第{c['rank']}名：{name}（{c['score']:.2f} 分，项目 {c['projects']} 个）",
                0,
                c["community_id"],
                None,
            )
        )
    for w in outputs["work_methods"]:
        name = names.get(w["community_id"], w["community_id"])
        out.append(
            Award(
                WORK_METHOD,
                w["nomination_id"],
                f"社区工作法：{w['title']}"[:100],
                f"社区工作法第{w['rank']}名：{w['title']}（{name}，{w['score']:.2f} 分）",
                0,
                w["community_id"],
                None,
            )
        )
    return out


def effective(outputs: dict[str, Any], withdrawn: Withdrawn) -> dict[str, Any]:
    """The outputs as they stand: a withdrawn project keeps its row (marked, with what it lost) but no award
    or money; withdrawn communities and work methods leave their lists; every count and sum follows."""
    gone = withdrawn[PROJECT]
    projects = []
    for p in outputs["projects"]:
        if p["project_id"] in gone:
            p = {
                **p,
                "awards": [],
                "subsidy_fen": 0,
                "withdrawn": True,
                "withdrawn_awards": p["awards"],
                "withdrawn_subsidy_fen": p["subsidy_fen"],
            }
        else:
            p = {**p, "withdrawn": False, "withdrawn_awards": [], "withdrawn_subsidy_fen": 0}
        projects.append(p)
    awarded = sum(p["subsidy_fen"] for p in projects)
    return {
        **outputs,
        "projects": projects,
        "excellent_projects": [p for p in outputs["excellent_projects"] if p not in gone],
        "model_communities": [c for c in outputs["model_communities"] if c["community_id"] not in withdrawn[COMMUNITY]],
        "work_methods": [w for w in outputs["work_methods"] if w["nomination_id"] not in withdrawn[WORK_METHOD]],
        "subsidies": {
            **outputs["subsidies"],
            "awarded_fen": awarded,
            "withdrawn_fen": outputs["subsidies"]["awarded_fen"] - awarded,
        },
        "withdrawn": {k: sorted(v) for k, v in withdrawn.items()},
    }


def final_note(outputs: dict[str, Any], withdrawn_titles: list[str]) -> str:
    """What the notice adds when the list becomes final: the awards withdrawn and the final figures."""
    lines = ["【公示结果】公示期满，评估结果及表彰名单确定。"]
    if withdrawn_titles:
        lines.append("经异议核查，撤销以下奖项：" + "、".join(withdrawn_titles) + "。")
    money, communities = yuan(outputs["subsidies"]["awarded_fen"]), len(outputs["model_communities"])
    lines.append(
        f"最终优秀项目 {len(outputs['excellent_projects'])} 个，示范社区 {communities} 个，"
        f"社区工作法 {len(outputs['work_methods'])} 项，以奖代补合计 {money} 元。"
    )
    return "\n".join(lines)
