"""Public notice board pages (HTML, no login); kept out of the OpenAPI document, which stays API-only.

The notice list, a round's page and a community's finances only read: they take a read session (autocommit),
and the fast lane answers their plain form first (app/board/fast.py)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.deps import OptionalPrincipal
from app.auth.secrets import keyed_digest
from app.board import pages
from app.board.objection_form import (
    CROSS_SITE,
    FormInput,
    objection_budget,
    problem_message,
    read_form,
    same_origin,
    validate,
)
from app.board.templating import CSS, error, render
from app.core.db import ReadSessionDep, SessionDep
from app.core.errors import NotFound, ProblemError, TooManyRequests
from app.notices import objections_service, service
from app.ratelimit.client import client_ip, ip_key

router = APIRouter(prefix="/board", include_in_schema=False)
NOT_FOUND = "没有找到这个页面：链接可能有误，或内容已不存在。"
Budget = Annotated[TooManyRequests | None, Depends(objection_budget)]


NOT_TRACKED = "没有找到这个查询码对应的异议，请核对后重试。"


async def _page(
    request: Request, template: str, load: Callable[[], Awaitable[dict]], missing: str = NOT_FOUND
) -> HTMLResponse:
    """Render a page from what pages.* read, or the HTML 404 when its link names nothing that exists."""
    try:
        return render(request, template, await load())
    except NotFound:
        return error(request, 404, missing)


@router.get("/static/board.css")
async def stylesheet() -> Response:
    """The board's one stylesheet."""
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/text-size")
async def text_size(size: str = "large", back: str = "/board") -> RedirectResponse:
    """大字版 on or off without script: a cookie the pages read, then back to the page (only a board page)."""
    target = back if back.startswith("/board") and "//" not in back and "\\" not in back else "/board"
    response = RedirectResponse(target, status_code=303)
    if size == "large":
        response.set_cookie(
            "board_text", "large", max_age=365 * 24 * 3600, path="/board", samesite="lax", httponly=True
        )
    else:
        response.delete_cookie("board_text", path="/board")
    return response


@router.get("", response_class=HTMLResponse)
async def board(
    request: Request,
    session: ReadSessionDep,
    community_id: str | None = None,
    current: str | None = None,
    page: str = "1",
) -> HTMLResponse:
    """Current and past notices of every community, or of the one chosen in the filter."""
    # Query values are taken as text: a hand-edited link shows the first page rather than a JSON error.
    number = int(page) if page.isdigit() else 1
    return render(request, "board.html", await pages.board(session, community_id, current, number))


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice(notice_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    """A notice: window, how to object, projects, objections with replies, reallocations, the objection form."""
    try:
        context = await pages.notice(session, pages.parse_id(notice_id))
    except NotFound:
        return error(request, 404, NOT_FOUND)
    return render(request, "notice.html", {**context, "form": FormInput(), "error": None})


async def _refused(
    request: Request,
    session: AsyncSession,
    notice_id: uuid.UUID,
    data: FormInput,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The notice page again, with the message above the form and what was typed still in it."""
    context = await pages.notice(session, notice_id)
    return render(
        request,
        "notice.html",
        {**context, "form": data, "error": message},
        status,
        {"Cache-Control": "no-store", **(headers or {})},
    )


@router.post("/notices/{notice_id}/objections", response_class=HTMLResponse)
async def file_objection(
    notice_id: str, request: Request, session: SessionDep, principal: OptionalPrincipal, limited: Budget
) -> Response:
    """File an objection from the form, as POST /api/v1/public/notices/{id}/objections does; 303 to its tracking."""
    try:
        nid = pages.parse_id(notice_id)
        await service.get_notice(session, nid)
    except NotFound:
        return error(request, 404, NOT_FOUND)
    data = await read_form(request)
    if not same_origin(request):
        return await _refused(request, session, nid, data, 403, CROSS_SITE)
    if limited is not None:
        return await _refused(request, session, nid, data, 429, problem_message(limited), limited.headers)
    body = validate(data)
    if isinstance(body, str):
        return await _refused(request, session, nid, data, 422, body)
    client = keyed_digest(request.app.state.settings.secret_key, "objection-client", ip_key(client_ip(request)))
    user_id = principal.user_id if principal.kind == "user" else None
    try:
        filed = await objections_service.file_objection(
            session, principal.actor, user_id, client, nid, body.item_id, body.reason, body.contact
        )
    except ProblemError as exc:
        await session.rollback()  # a refused objection leaves nothing behind (and releases the notice's lock)
        return await _refused(request, session, nid, data, exc.status, problem_message(exc))
    return RedirectResponse(f"/board/objections/{filed.tracking_code}", status_code=303)


@router.get("/objections/{tracking_code}", response_class=HTMLResponse)
async def tracking(tracking_code: str, request: Request, session: SessionDep) -> HTMLResponse:
    """An objection's tracking code, status and reply."""
    return await _page(request, "tracking.html", lambda: pages.tracking(session, tracking_code), missing=NOT_TRACKED)


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
async def voting_round(round_id: str, request: Request, session: ReadSessionDep) -> HTMLResponse:
    """A voting round: its ballot while open, its explained result once counted."""
    return await _page(request, "round.html", lambda: pages.voting_round(session, pages.parse_id(round_id)))


@router.get("/reviews/{panel_id}", response_class=HTMLResponse)
async def review_panel(panel_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    """An expert review (公益微创投): the panel's size and method, and once closed each application's trimmed score,
    standing and whether it is funded; no expert is named."""
    return await _page(request, "review.html", lambda: pages.review_panel(session, pages.parse_id(panel_id)))


@router.get("/communities/{community_id}/finances", response_class=HTMLResponse)
async def finances(community_id: str, request: Request, session: ReadSessionDep) -> HTMLResponse:
    """The community's public finance summary: sources, commitments and payments by year."""
    return await _page(request, "finances.html", lambda: pages.finances(session, pages.parse_id(community_id)))


@router.get("/projects/{proposal_id}", response_class=HTMLResponse)
async def project(proposal_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    """A project under way: implementer, milestones, progress reports with photos, and how the money was spent."""
    return await _page(request, "project.html", lambda: pages.project(session, pages.parse_id(proposal_id)))


@router.get("/organisations", response_class=HTMLResponse)
async def organisations(request: Request, session: SessionDep, page: str = "1") -> HTMLResponse:
    """Social organisations: credit code, verified or not, their projects and grades."""
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    return render(request, "organisations.html", await pages.organisations(session, number))


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse)
async def organisation(organisation_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    """One social organisation's public record."""
    return await _page(
        request, "organisation.html", lambda: pages.organisation(session, pages.parse_id(organisation_id))
    )
