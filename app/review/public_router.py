"""The public read of an expert review's result (评审结果公开); no login."""

import uuid

from fastapi import APIRouter

from app.core.db import SessionDep
from app.core.errors import problems
from app.review import public
from app.review.schemas import PublicPanelRead

router = APIRouter(prefix="/api/v1/public", tags=["review"])


@router.get(
    "/review-panels/{panel_id}",
    response_model=PublicPanelRead,
    summary="A review panel's public result",
    responses=problems(404, 422),
)
async def public_panel(panel_id: uuid.UUID, session: SessionDep) -> dict:
    """How many experts, the method, the budget; once closed each application's trimmed score, standing and
    whether it is funded now. Never who the experts are or what each of them gave."""
    return await public.public_panel(session, panel_id)
