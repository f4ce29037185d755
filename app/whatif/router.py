"""HTTP for what-if allocation: staff upload a pabulib file and see what a rule would fund."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import SessionDep
from app.core.errors import Unprocessable, problems
from app.voting import rounds_service, tally_service
from app.whatif import service
from app.whatif.compute import TIE_BREAKS
from app.whatif.rules import ACCURACIES, COMPARISONS, COMPLETIONS
from app.whatif.schemas import WhatIfResult

router = APIRouter(prefix="/api/v1", tags=["allocation"])

# Staff who plan money; evaluators, assessors and residents have no use for it.
PLANNER_ROLES = (Role.community_staff, Role.street_admin, Role.district_admin, Role.finance, Role.supervisor)
Planner = Annotated[Principal, Depends(require_roles(*PLANNER_ROLES))]


@router.post(
    "/allocation/what-if",
    response_model=WhatIfResult,
    summary="Allocate an uploaded pabulib file or a closed round's ballots",
    responses=problems(401, 403, 404, 409, 413, 422, 503),
)
async def what_if(
    principal: Planner,
    session: SessionDep,
    # Plain strings checked by the service, so an unknown value gets its own code (unknown_rule);
    # the enum is still published in the schema.
    rule: Annotated[str, Form(json_schema_extra={"enum": list(service.ALL_RULES)})],
    file: Annotated[UploadFile | None, File(description="a pabulib .pb file, UTF-8 (or round_id)")] = None,
    round_id: Annotated[
        uuid.UUID | None,
        Form(description="instead of a file: a closed round's counted ballots (its public ballots.pb)"),
    ] = None,
    tie_break: Annotated[
        str, Form(json_schema_extra={"enum": list(TIE_BREAKS)}, description="lexico gives pabutools' winners")
    ] = "default",
    voter_budget_increment: Annotated[
        str | None,
        Form(
            description="mes-add1, equalshares: how much each voter's share grows per round, in the file's currency "
            "(default 1; equalshares: a whole number)",
            examples=["1"],
        ),
    ] = None,
    completion: Annotated[
        str | None,
        Form(
            max_length=20,
            json_schema_extra={"enum": list(COMPLETIONS)},
            description="equalshares / official: the completion",
        ),
    ] = None,
    integral: Annotated[
        str | None, Form(max_length=5, description="equalshares add1*: start from a whole unit per voter (true/false)")
    ] = None,
    comparison: Annotated[
        str | None,
        Form(
            max_length=20,
            json_schema_extra={"enum": list(COMPARISONS)},
            description="equalshares / official: compare with greedy",
        ),
    ] = None,
    tie_breaking: Annotated[
        str | None,
        Form(
            max_length=2000,
            description="equalshares / official: maxVotes, minCost, maxCost in order, or a priority list [id;id;...]",
            examples=["maxVotes,minCost"],
        ),
    ] = None,
    accuracy: Annotated[
        str | None,
        Form(
            max_length=10,
            json_schema_extra={"enum": list(ACCURACIES)},
            description="equalshares / official: exact (default) or float arithmetic",
        ),
    ] = None,
    audit: Annotated[
        bool,
        Form(
            description="add the fairness audit of this outcome and of the other rules' "
            "outcomes on the same approval ballots"
        ),
    ] = False,
) -> dict:
    """Runs a rule on the file and stores nothing; bad files get 422 pb_invalid with the line.

    greedy, mes and mes-add1 are pabutools' variants; equalshares is equal shares as equalshares.net
    computes it, with its parameters; official recomputes the file's own META rule, its ballots counted
    the file's way (422 pb_rule_unsupported, pb_ballots_unreadable, allocation_tie_unresolved).
    """
    if (file is None) == (round_id is None):
        raise Unprocessable(
            "请上传一个 .pb 文件，或指定一个已计票的投票轮次（round_id），二者选一。", code="what_if_source"
        )
    if round_id is not None:
        # The same file anyone can download from the public board: 404 unknown round, 409 before the count.
        data = (await tally_service.recount_file(session, await rounds_service.get_round(session, round_id))).encode()
    else:
        # One byte over the limit is enough to refuse; the rest is never read into memory.
        data = await file.read(service.MAX_FILE_BYTES + 1)
    options = {
        "completion": completion,
        "integral": integral,
        "comparison": comparison,
        "tie_breaking": tie_breaking,
        "accuracy": accuracy,
    }
    return await service.what_if(data, rule, tie_break, voter_budget_increment, options, audit)
