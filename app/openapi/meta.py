"""Title text and the bilingual description of each tag in the OpenAPI document."""

from typing import Any

DESCRIPTION = (
    "微实 Weishi — 社区民生微实事 / 公益微创投 全流程管理 API. "
    "Community micro-project participatory budgeting: intake, deliberation, resident votes, "
    "public notice, funds, implementation and evaluation.\n\n"
    "Errors are `application/problem+json` (RFC 9457) with a stable `code`. Money is integer fen (分)."
)

TAGS = [
    {"name": "health", "description": "健康检查 · Liveness and readiness probes."},
    {"name": "auth", "description": "身份认证 · Staff password login, resident phone codes, token rotation."},
    {
        "name": "privacy",
        "description": "个人信息 · A person's own data to download; a resident deletes their account (个人信息保护法).",
    },
    {"name": "users", "description": "用户与角色 · Users, roles and the region each staff member is bound to."},
    {"name": "api-tokens", "description": "接口令牌 · API tokens for third-party assessors (shown once)."},
    {"name": "organisations", "description": "组织 · Social organisations, assessors and foundations."},
    {"name": "regions", "description": "行政区划 · District, street, community and sub-unit tree; CSV import."},
    {"name": "programmes", "description": "年度计划与试点 · Annual programmes, their frozen rules, pilot communities."},
    {"name": "funds", "description": "资金台账 · Fund sources, append-only ledger, finance reports, public summary."},
    {
        "name": "proposals",
        "description": "提案与初审 · Proposals, budget lines, attachments, screening, needs survey, "
        "lifecycle; public proposal pages.",
    },
    {
        "name": "deliberation",
        "description": "协商议事 · Resident representative meetings (roster, sign-in, votes, "
        "minutes, quorum), deliberation councils, public announcements.",
    },
    {
        "name": "voter roll",
        "description": "居民名册 · Community voter rolls: CSV import, additions and removals "
        "(audited), phones only ever masked.",
    },
    {
        "name": "voting",
        "description": "居民投票 · Screening votes: rounds, approval or knapsack ballots, paper "
        "ballots, receipts, counting and allocation (greedy, equal shares) with "
        "explanations.",
    },
    {
        "name": "notices",
        "description": "公示与异议 · Public notices of selected projects and meetings (working days "
        "by the official calendar), objections, replies, reallocation, confirmation.",
    },
    {
        "name": "implementation",
        "description": "项目实施 · Implementers, milestone plans, progress reports with photos, "
        "overdue milestones, expenditures, instalment disbursements behind "
        "gates, budget changes, mid-term review, acceptance, closure; public "
        "progress and spending.",
    },
    {
        "name": "dashboards",
        "description": "年度看板 · A district and each street year by year and side by side: "
        "turnout, proposals, money by source, share paid, satisfaction, grades, "
        "objections (JSON, CSV, XLSX; the board page draws them).",
    },
    {
        "name": "open data",
        "description": "公开数据 · One Frictionless Data Package per district and programme "
        "year: every public fact as CSV with datapackage.json, and the rounds' "
        ".pb files.",
    },
    {
        "name": "signs",
        "description": "一码一工程 · Each confirmed project's printable A4 sign: a QR code opening "
        "its board page, its name and its project code (SVG, PNG).",
    },
    {
        "name": "evaluation",
        "description": "年度评估 · Versioned rubrics (criteria adding up to 100), campaigns per "
        "district and year, assignments refused on conflict of interest (回避), "
        "evaluator and assessor scores (draft, submit, amend with history, locked "
        "at the deadline; assessors by campaign-bound API token), resident "
        "satisfaction (满意度), street self-inspection reports (自查报告), "
        "progress.",
    },
    {
        "name": "awards",
        "description": "评选表彰 · Award runs computed from a closed campaign (trimmed means, "
        "composite, grade, rank; 优秀项目, 示范社区, 社区工作法, 以奖代补 within the "
        "fund), with input and output digests, district approval, a public notice "
        "with objections, and reports (JSON, CSV, XLSX, SVG chart).",
    },
    {
        "name": "allocation",
        "description": "分配推演 · What-if allocation of an uploaded pabulib file (greedy, equal "
        "shares, mes-add1), for staff planning; stores nothing.",
    },
    {"name": "audit", "description": "台账 · Append-only, hash-chained audit trail and its verification."},
]


# Problems any operation may answer whatever its route declares: the outermost middleware refuses bodies
# (400 malformed or too deep JSON, 413 too large) before routing, and a database that is down or too slow
# gets 503 everywhere. Declared here once so clients and the fuzzer (tests/reliability/test_fuzz.py) see them.
COMMON_PROBLEMS = {503: "The database is unavailable or too slow (database_unavailable); retry after Retry-After"}
BODY_PROBLEMS = {
    400: "Malformed JSON (malformed_json) or nested too deeply (json_too_deep)",
    413: "Request body too large (payload_too_large)",
}


def add_common_problems(document: dict[str, Any], problem_schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every error response as problem+json, and add the middleware's and the database's problems to
    every operation of an OpenAPI document."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                # FastAPI declares its 422 as application/json; every error is served as a problem.
                if status.isdigit() and int(status) >= 400 and "application/json" in response.get("content", {}):
                    response["content"] = {"application/problem+json": {"schema": problem_schema}}
            extra = dict(COMMON_PROBLEMS)
            if "requestBody" in operation:
                extra.update(BODY_PROBLEMS)
            for status, description in extra.items():
                responses.setdefault(
                    str(status),
                    {"description": description, "content": {"application/problem+json": {"schema": problem_schema}}},
                )
    return document
