"""The Data Package (pure): each table's fields, its CSV text, datapackage.json describing every field, the zip."""

import csv
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

S, INT, N, B, D, T = "string", "integer", "number", "boolean", "date", "datetime"

# table: (title, [(field, type, description)]) — money in integer fen (分) in *_fen fields.
TABLES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "proposals": (
        "提案",
        [
            ("id", S, "提案编号（UUID）"),
            ("community", S, "社区"),
            ("title", S, "项目名称"),
            ("kind", S, "载体类型"),
            ("project_type", S, "项目类型"),
            ("category", S, "项目类别"),
            ("total_fen", INT, "预算合计（分）"),
            ("state", S, "当前状态"),
            ("submitted_at", T, "提交时间（UTC）"),
        ],
    ),
    "meetings": (
        "居民代表会议",
        [
            ("id", S, "会议编号"),
            ("community", S, "社区"),
            ("topic", S, "议题"),
            ("scheduled_at", T, "召开时间（UTC）"),
            ("form", S, "会议形式"),
            ("state", S, "状态"),
        ],
    ),
    "rounds": (
        "居民投票轮次",
        [
            ("id", S, "轮次编号"),
            ("community", S, "社区"),
            ("title", S, "名称"),
            ("opens_at", T, "开始时间（UTC）"),
            ("closes_at", T, "截止时间（UTC）"),
            ("budget_fen", INT, "可用资金（分）"),
            ("status", S, "状态"),
            ("ballots_counted", INT, "有效选票数（计票后）"),
            ("pb_file", S, "选票文件（pabulib 格式，计票后）"),
        ],
    ),
    "results": (
        "投票结果及说明",
        [
            ("round_id", S, "轮次编号"),
            ("number", INT, "项目序号"),
            ("proposal_id", S, "提案编号"),
            ("title", S, "项目名称"),
            ("cost_fen", INT, "金额（分）"),
            ("votes", INT, "得票"),
            ("selected", B, "是否入选"),
            ("explanation", S, "说明"),
        ],
    ),
    "notices": (
        "公示",
        [
            ("id", S, "公示编号"),
            ("kind", S, "公示类型"),
            ("community", S, "社区或区"),
            ("title", S, "标题"),
            ("starts_on", D, "公示开始日"),
            ("ends_on", D, "公示结束日"),
            ("phase", S, "阶段"),
        ],
    ),
    "notice_items": (
        "公示项目",
        [
            ("notice_id", S, "公示编号"),
            ("item_id", S, "公示项目编号"),
            ("proposal_id", S, "提案编号"),
            ("title", S, "项目名称"),
            ("amount_fen", INT, "金额（分）"),
            ("implementer", S, "实施主体"),
            ("votes", INT, "得票"),
            ("status", S, "状态"),
        ],
    ),
    "objections": (
        "异议及答复（不含异议人信息）",
        [
            ("notice_id", S, "公示编号"),
            ("item_id", S, "公示项目编号"),
            ("submitted_on", D, "提出日期"),
            ("status", S, "处理结果"),
            ("reason", S, "异议内容"),
            ("reply", S, "答复"),
        ],
    ),
    "finances": (
        "资金台账公开（按社区）",
        [
            ("community", S, "社区"),
            ("planned_fen", INT, "计划资金（分）"),
            ("funds_in_fen", INT, "资金到位（分）"),
            ("committed_fen", INT, "已承诺（分）"),
            ("disbursed_fen", INT, "已拨付（分）"),
            ("returned_fen", INT, "已退回（分）"),
            ("transferred_out_fen", INT, "年终转出（分）"),
        ],
    ),
    "satisfaction": (
        "居民满意度",
        [
            ("proposal_id", S, "提案编号"),
            ("title", S, "项目名称"),
            ("ratings", INT, "评价人数"),
            ("average", N, "平均分"),
        ],
    ),
    "awards": (
        "评估结果及表彰（已公示）",
        [
            ("proposal_id", S, "提案编号"),
            ("composite", N, "综合得分"),
            ("grade", S, "等级"),
            ("rank", INT, "排名"),
            ("awards", S, "奖项"),
            ("subsidy_fen", INT, "以奖代补（分）"),
        ],
    ),
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_text(table: str, rows: list[dict[str, Any]]) -> str:
    """One table as UTF-8 CSV with its declared columns, in order."""
    names = [f[0] for f in TABLES[table][1]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(n)) for n in names])
    return out.getvalue()


def descriptor(name: str, title: str, in_progress: bool, pb_files: list[str], created: datetime) -> dict[str, Any]:
    """datapackage.json: every table with its fields described, and the rounds' .pb files."""
    resources: list[dict[str, Any]] = [
        {
            "name": table,
            "title": label,
            "path": f"data/{table}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": [{"name": n, "type": t, "description": d} for n, t, d in fields]},
        }
        for table, (label, fields) in TABLES.items()
    ]
    resources += [
        {
            "name": path.removeprefix("pb/").removesuffix(".pb").replace("round-", "pb-round-"),
            "title": "计票选票（pabulib）",
            "path": path,
            "format": "pb",
            "mediatype": "text/plain",
            "encoding": "utf-8",
        }
        for path in pb_files
    ]
    status = "本年度仍在进行中：只包含截至下载时已经公开的内容，之后会有更新。" if in_progress else "本年度已经结束。"
    return {
        "name": name,
        "title": title,
        "description": f"{title}的全部公开信息，不含个人信息。{status}",
        "status": "in_progress" if in_progress else "complete",
        "created": _cell(created),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "resources": resources,
    }


def zipped(meta: dict[str, Any], tables: dict[str, list[dict[str, Any]]], pb: dict[str, str]) -> bytes:
    """The package as one zip: datapackage.json, data/*.csv, pb/*.pb."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(meta, ensure_ascii=False, indent=2))
        for table in TABLES:
            archive.writestr(f"data/{table}.csv", csv_text(table, tables.get(table, [])))
        for path, text in pb.items():
            archive.writestr(path, text)
    return buffer.getvalue()
