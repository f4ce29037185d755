"""What each board page shows, read through the domain services; the router only renders it."""

import uuid
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.board import reads
from app.common.pagination import paginate
from app.common.schemas import PageParams
from app.core.errors import NotFound
from app.funds.public_service import community_summary
from app.implementation import budget_changes_service, closure_service, disbursements_service, spending_service
from app.implementation import stages_service as implementation
from app.notices import objections_service, service
from app.notices.models import ItemStatus, NoticeItem
from app.notices.views import notice_view
from app.organisations import public_service as public_organisations
from app.review import public as public_review
from app.signs import service as signs
from app.voting import rounds_service, tally_service
from app.voting.models import RoundStatus

PAGE_SIZE = 20


def parse_id(text: str | None) -> uuid.UUID:
    """A UUID from a link; anything else is a page that does not exist (404), not a malformed request."""
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise NotFound("No such page.", code="not_found") from None


def _current(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


async def board(session: AsyncSession, community: str | None, current: str | None, page: int) -> dict[str, Any]:
    """The notice list (newest first), optionally one community's, current (1) or past (0) only."""
    try:
        community_id = uuid.UUID(community) if community else None
    except ValueError:  # a hand-edited filter shows everything rather than an error
        community_id = None
    page = max(1, min(page, 10_000))
    result = await paginate(
        session,
        service.list_statement(None, community_id, _current(current)),
        PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
    )
    views = [await notice_view(session, n) for n in result["items"]]
    names = await reads.region_names(session, {v["community_id"] for v in views})
    notices = [
        {
            "id": v["id"],
            "title": v["title"],
            "community": names.get(v["community_id"], ""),
            "starts_on": v["starts_on"],
            "ends_on": v["ends_on"],
            "phase": v["phase"],
            "projects": len(v["items"]),
            "objections": len(v["objections"]),
        }
        for v in views
    ]
    return {
        "communities": await reads.communities(session),
        "community_id": str(community_id or ""),
        "current": current if _current(current) is not None else "",
        "notices": notices,
        "total": result["total"],
        "page": page,
        "pages": max(1, -(-result["total"] // PAGE_SIZE)),
    }


async def notice(session: AsyncSession, notice_id: uuid.UUID) -> dict[str, Any]:
    """A notice with its projects, public objections and replies, reallocations, and the projects open to objection."""
    view = await notice_view(session, await service.get_notice(session, notice_id))
    items = view["items"]
    titles = {i.id: f"{i.number}号 {i.title}" if i.number else i.title for i in items}
    names = await reads.region_names(session, {view["community_id"]})
    return {
        "notice": view,
        "community": names.get(view["community_id"], ""),
        "projects": items,
        "objections": [
            {
                "project": titles.get(o.item_id, ""),
                "reason": o.reason,
                "status": o.status,
                "reply": o.reply,
                "submitted_at": o.submitted_at,
                "handled_at": o.handled_at,
            }
            for o in view["objections"]
        ],
        "reallocations": [
            {
                "removed_number": m.removed_number,
                "newly_selected": m.newly_selected,
                "steps": [s.get("reason_zh", "") for s in m.explanation.get("steps", [])],
                "created_at": m.created_at,
            }
            for m in view["reallocations"]
        ],
        "open_items": [i for i in items if i.status == ItemStatus.under_notice and i.phase == "open"],
    }


async def tracking(session: AsyncSession, code: str) -> dict[str, Any]:
    """An objection found by its tracking code: status and reply (what the JSON API's tracking shows)."""
    objection = await objections_service.by_code(session, code[:20])
    item = await session.get(NoticeItem, objection.item_id)
    return {
        "tracking_code": objection.tracking_code,
        "notice_id": objection.notice_id,
        "project": item.title if item else "",
        "status": objection.status,
        "submitted_at": objection.submitted_at,
        "reply": objection.reply,
        "handled_at": objection.handled_at,
    }


async def voting_round(session: AsyncSession, round_id: uuid.UUID) -> dict[str, Any]:
    """A round: its ballot and window, and once closed its result with each project's explanation."""
    # Before the count only numbers, titles and costs leave this function: counts are never shown early.
    rnd = await rounds_service.get_round(session, round_id)
    projects = await rounds_service.projects_of(session, rnd.id)
    names = await reads.region_names(session, {rnd.community_id})
    context: dict[str, Any] = {
        "title": rnd.title,
        "community": names.get(rnd.community_id, ""),
        "phase": rounds_service.phase_of(rnd),
        "opens_at": rnd.opens_at,
        "closes_at": rnd.closes_at,
        "budget_fen": rnd.budget_fen,
        "status_reason": rnd.status_reason,
        "rule": rounds_service.ballot_rule(rnd),
        "result": None,
        "ballot": [{"number": p.number, "title": p.title, "cost_fen": p.cost_fen} for p in projects],
        "notice_id": await reads.notice_of_round(session, rnd.id),
    }
    if rnd.status == RoundStatus.closed:
        result = tally_service.result_view(rnd, projects)
        allocation = result["allocation"] or {}
        why = {e["project_id"]: e.get("reason_zh", "") for e in allocation.get("explanations", [])}
        context["result"] = {
            "ballots_counted": result["ballots_counted"],
            "cost_fen": allocation.get("cost"),
            "rule": allocation.get("rule"),
            "closed_at": rnd.closed_at,
            "projects": [
                {
                    "number": p.number,
                    "title": p.title,
                    "cost_fen": p.cost_fen,
                    "votes": p.votes,
                    "selected": p.selected,
                    "why": why.get(str(p.number), ""),
                }
                for p in result["projects"]
            ],
            "fairness": fairness_rows(allocation.get("fairness")),
        }
    return context


async def review_panel(session: AsyncSession, panel_id: uuid.UUID) -> dict[str, Any]:
    """An expert review's public result (app.review.public): scores only once the panel has closed."""
    return {"panel": await public_review.public_panel(session, panel_id)}


def fairness_rows(fairness: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stored fairness audit as board rows: this round's rule first, then the others on the same ballots."""
    if not fairness:
        return []  # rounds closed before the audit existed
    rows = []
    for chosen, entry in [(True, fairness), *((False, o) for o in fairness["others"])]:
        a = entry["audit"]
        rows.append(
            {
                "rule": entry["rule"],
                "chosen": chosen,
                "excluded": a["excluded_voters"],
                "voters": a["n_voters"],
                "average_fen": round(Fraction(a["average_satisfaction"])),
                "gini": f"{float(Fraction(a['gini_satisfaction'])):.3f}",
                "ejr": {True: "满足", False: "不满足", None: "未判定"}[a["ejr_up_to_one"]],
            }
        )
    return rows


async def finances(session: AsyncSession, community_id: uuid.UUID) -> dict[str, Any]:
    """The community's public finance summary, year by year (app.funds.public_service)."""
    return {"summary": await community_summary(session, community_id)}


async def project(session: AsyncSession, proposal_id: uuid.UUID) -> dict[str, Any]:
    """A project under way: implementer, milestones, progress with photos, and spending (落实情况公开)."""
    impl = await implementation.get_implementation(session, proposal_id)
    return {
        "project": await implementation.view(session, impl),
        "spending": await spending_service.spending(session, impl),
        "schedule": await disbursements_service.schedule(session, impl),
        "changes": await budget_changes_service.changes(session, impl),
        "closure": await closure_service.closure_of(session, proposal_id),
        "sign": await signs.sign_for(session, proposal_id),
    }


async def organisations(session: AsyncSession, page: int) -> dict[str, Any]:
    """Social organisations by name: credit code, verified or not, and their projects with grades."""
    listed = await public_organisations.public_page(session, PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    return {"page": listed, "number": page}


async def organisation(session: AsyncSession, organisation_id: uuid.UUID) -> dict[str, Any]:
    """One social organisation's public record."""
    return {"org": await public_organisations.public_organisation(session, organisation_id)}
