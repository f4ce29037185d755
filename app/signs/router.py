"""一码一工程: a confirmed project's QR sign, public, as SVG or PNG."""

import asyncio
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.db import SessionDep
from app.core.errors import ServiceUnavailable, problems
from app.signs import rules, service

router = APIRouter(prefix="/api/v1", tags=["signs"])
_CACHE = {"Cache-Control": "public, max-age=3600"}


def _url(request: Request, proposal_id: uuid.UUID) -> str:
    base = request.app.state.settings.public_base_url or str(request.base_url)
    return rules.board_url(base, proposal_id)


def _download(name: str) -> dict[str, str]:
    return {**_CACHE, "Content-Disposition": f'inline; filename="{name}"'}


@router.get(
    "/public/projects/{proposal_id}/sign.svg",
    summary="A project's QR sign (SVG, A4)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **problems(404, 422)},
)
async def sign_svg(proposal_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The A4 sign of a confirmed project: its QR code, which opens the project's board page, its name and code."""
    sign = await service.sign_for(session, proposal_id)
    return Response(
        rules.svg(_url(request, proposal_id), sign.title, sign.code),
        media_type="image/svg+xml",
        headers=_download(f"{sign.code}.svg"),
    )


@router.get(
    "/public/projects/{proposal_id}/sign.png",
    summary="A project's QR sign (PNG, A4 at 150 dpi)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **problems(404, 422, 503)},
)
async def sign_png(proposal_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """The same sign as a PNG; 503 sign_font_missing when the server has no font with Chinese glyphs."""
    sign = await service.sign_for(session, proposal_id)
    font = Path(request.app.state.settings.sign_font_path)
    if not await asyncio.to_thread(font.is_file):
        raise ServiceUnavailable(
            "本服务器缺少中文字体，暂不能生成 PNG 标牌，请改用 SVG 标牌。"
            "The server has no font with Chinese glyphs (WEISHI_SIGN_FONT_PATH).",
            code="sign_font_missing",
        )
    # Drawing takes a few hundred milliseconds of CPU: off the event loop.
    image = await asyncio.to_thread(rules.png, _url(request, proposal_id), sign.title, sign.code, font)
    return Response(image, media_type="image/png", headers=_download(f"{sign.code}.png"))
