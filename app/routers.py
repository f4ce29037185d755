"""Every domain router, in the order they appear in the API docs, and the route table built from them once."""

from fastapi import APIRouter

from app.audit.router import router as audit_router
from app.auth.routers import ROUTERS as AUTH_ROUTERS
from app.awards.router import router as awards_router
from app.board.router import router as board_router
from app.dashboards.router import board_router as dashboard_board_router
from app.dashboards.router import router as dashboards_router
from app.deliberation.routers import ROUTERS as DELIBERATION_ROUTERS
from app.evaluation.routers import ROUTERS as EVALUATION_ROUTERS
from app.funds.routers import ROUTERS as FUNDS_ROUTERS
from app.health.router import router as health_router
from app.implementation.routers import ROUTERS as IMPLEMENTATION_ROUTERS
from app.notices.routers import ROUTERS as NOTICE_ROUTERS
from app.notifications.router import router as notifications_router
from app.opendata.router import router as opendata_router
from app.organisations.public_router import router as public_organisations_router
from app.organisations.router import router as organisations_router
from app.privacy.router import router as privacy_router
from app.programmes.router import router as programmes_router
from app.proposals.routers import ROUTERS as PROPOSAL_ROUTERS
from app.regions.router import router as regions_router
from app.review.routers import ROUTERS as REVIEW_ROUTERS
from app.signs.router import router as signs_router
from app.sms.router import router as sms_router
from app.voting.routers import ROUTERS as VOTING_ROUTERS
from app.whatif.router import router as whatif_router

ROUTERS = [
    health_router,
    *AUTH_ROUTERS,
    privacy_router,
    organisations_router,
    public_organisations_router,
    regions_router,
    programmes_router,
    *FUNDS_ROUTERS,
    *PROPOSAL_ROUTERS,
    *DELIBERATION_ROUTERS,
    *VOTING_ROUTERS,
    *REVIEW_ROUTERS,
    *NOTICE_ROUTERS,
    *IMPLEMENTATION_ROUTERS,
    *EVALUATION_ROUTERS,
    signs_router,
    dashboards_router,
    opendata_router,
    awards_router,
    audit_router,
    whatif_router,
    notifications_router,
    sms_router,
    dashboard_board_router,
    board_router,
]  # HTML pages for the public (/board), kept out of the OpenAPI document

# Built once per process and shared by every app create_app() makes: FastAPI works out a route's dependencies
# and models when a request first reaches it through a given inclusion, so including the routers afresh in
# each app repeated that work per app (about 0.1 s for each of the test suite's thousands of apps). Nothing
# here refers to an app; FastAPI's dependency_overrides are not used and would not reach these routes.
ROUTE_TABLE = APIRouter()
for _router in ROUTERS:
    ROUTE_TABLE.include_router(_router)


def warm_route_table() -> None:
    """Have FastAPI build every route now, as matching a path that no route has does, rather than on the
    first requests a new worker serves (about 0.5 s in all), and before its start-up heap is frozen."""
    scope = {"type": "http", "method": "GET", "path": "/\x00", "root_path": "", "headers": [], "query_string": b""}
    for route in ROUTE_TABLE.routes:
        route.matches(dict(scope))
