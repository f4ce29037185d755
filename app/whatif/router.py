"""HTTP for what-if allocation: staff upload a pabulib file and see what a rule would fund."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.errors import problems
from app.whatif import service
from app.whatif.compute import RULES, TIE_BREAKS
from app.whatif.schemas import WhatIfResult

router = APIRouter(prefix="/api/v1", tags=["allocation"])

# Staff who plan money; evaluators, assessors and residents have no use for it.
PLANNER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.finance, Role.supervisor)
Planner = Annotated[Principal, Depends(require_roles(*PLANNER_ROLES))]


@router.post("/allocation/what-if", response_model=WhatIfResult, summary="Allocate an uploaded pabulib file",
             responses=problems(401, 403, 413, 422, 503))
async def what_if(
    principal: Planner,
    file: Annotated[UploadFile, File(description="a pabulib .pb file, UTF-8")],
    # Plain strings checked by the service, so an unknown value gets its own code (unknown_rule);
    # the enum is still published in the schema.
    rule: Annotated[str, Form(json_schema_extra={"enum": list(RULES)})],
    tie_break: Annotated[str, Form(json_schema_extra={"enum": list(TIE_BREAKS)},
                                   description="lexico gives pabutools' winners")] = "default",
    voter_budget_increment: Annotated[str | None, Form(
        description="mes-add1: how much each voter's share grows per round, in the file's currency (default 1)",
        examples=["1"])] = None,
) -> dict:
    """Runs greedy, mes or mes-add1 on the file and stores nothing; bad files get 422 pb_invalid with the line."""
    # One byte over the limit is enough to refuse; the rest is never read into memory.
    data = await file.read(service.MAX_FILE_BYTES + 1)
    return await service.what_if(data, rule, tie_break, voter_budget_increment)
