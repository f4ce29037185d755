"""/healthz: the process answers. /readyz: the database answers and is at the code's migration."""

from fastapi import APIRouter, Request

from app.core.errors import ServiceUnavailable, problems
from app.core.migrations import current_revision, head_revision
from app.health.probe import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    """Always ok while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable and at head", responses=problems(503))
async def readyz(request: Request) -> dict[str, str]:
    """503 unless the database answers and its schema is at the newest migration."""
    engine = request.app.state.engine
    try:
        await ping(engine)
        current = await current_revision(engine)
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable.", code="database_unavailable") from exc
    head = head_revision()
    if current != head:
        raise ServiceUnavailable(
            f"Database schema is at {current}, code expects {head}: run `weishi migrate`.", code="schema_not_at_head"
        )
    return {"status": "ready", "database": engine.dialect.name, "revision": head or ""}
