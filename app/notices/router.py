"""HTTP for staff: publish notices, change a project under notice, answer objections, conclude, confirm."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import QueryBool
from app.core.db import SessionDep
from app.core.errors import Conflict, problems
from app.notices import calendars_service, confirmation_service, objections_service, service
from app.notices.models import Confirmation, NoticeKind, ObjectionStatus, WorkCalendarYear
from app.notices.schemas import (
    CalendarPut,
    CalendarRead,
    ConfirmationCreate,
    ConfirmationRead,
    ItemChange,
    MeetingNoticeCreate,
    NoticeRead,
    ObjectionDecision,
    SelectionNoticeCreate,
    StaffObjection,
)
from app.notices.views import notice_view
from app.voting import policy

router = APIRouter(prefix="/api/v1", tags=["notices"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
CalendarKeeper = Annotated[Principal, Depends(require_roles(Role.district_admin, Role.admin))]
Paging = Annotated[PageParams, Depends(page_params)]
WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404, 422)


@router.post(
    "/voting/rounds/{round_id}/notice",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeRead,
    summary="Publish the projects a round selected (公示)",
    responses=WRITE,
)
async def publish_selection(
    round_id: uuid.UUID, body: SelectionNoticeCreate, session: SessionDep, principal: Organiser
) -> dict:
    """The window follows the programme (N working days by China's official calendar, or N calendar days) and
    may be longer, never shorter (422 notice_too_short). Each project shows title, type, amount, funding
    sources, implementer and votes; its proposal moves to 公示中."""
    notice = await service.publish_selection(
        session,
        principal,
        round_id,
        starts_on=body.starts_on,
        days=body.days,
        how_to_object=body.how_to_object,
        implementers=body.implementers,
    )
    return await notice_view(session, notice)


@router.post(
    "/meetings/{meeting_id}/notice",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeRead,
    summary="Announce an upcoming meeting (会议公告)",
    responses=WRITE,
)
async def publish_meeting(
    meeting_id: uuid.UUID, body: MeetingNoticeCreate, session: SessionDep, principal: Organiser
) -> dict:
    """Time, place, host, participants and form, published until the meeting day."""
    return await notice_view(session, await service.publish_meeting(session, principal, meeting_id, body.starts_on))


@router.get("/notices", response_model=Page[NoticeRead], summary="Notices in my region", responses=READ)
async def list_notices(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    community_id: uuid.UUID | None = None,
    current: QueryBool | None = None,
) -> dict:
    """Newest first; `current=true` for published, `false` for concluded."""
    result = await paginate(session, service.list_statement(principal, community_id, current), page)
    result["items"] = [await notice_view(session, n) for n in result["items"]]
    return result


@router.get("/notices/{notice_id}", response_model=NoticeRead, summary="A notice", responses=READ)
async def read_notice(notice_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """With its projects, objections and any reallocation."""
    return await notice_view(session, await service.notice_for(session, principal, notice_id, organise=False))


@router.post("/notices/{notice_id}/conclude", response_model=NoticeRead, summary="Conclude a notice", responses=WRITE)
async def conclude(notice_id: uuid.UUID, session: SessionDep, principal: Organiser) -> dict:
    """After the last day of every project's window, and only with no objection open (409 objections_open)."""
    notice = await service.notice_for(session, principal, notice_id, organise=True, lock="update")
    return await notice_view(session, await service.conclude(session, principal, notice))


async def _item(session: SessionDep, principal: Principal, item_id: uuid.UUID):
    item = await service.get_item(session, item_id)
    notice = await service.notice_for(session, principal, item.notice_id, organise=True, lock="update")
    if notice.kind == NoticeKind.award:
        # An award is neither restarted nor confirmed here: its run publishes, answers objections and finalises.
        raise Conflict(
            "评估结果及表彰公示的奖项由评奖运行处理（公示、异议答复、确定），不能在此变更或确定。",
            code="award_item_not_editable",
        )
    return item, notice


@router.patch(
    "/notice-items/{item_id}",
    response_model=NoticeRead,
    summary="Change a project under notice (its notice restarts)",
    responses=WRITE,
)
async def change_item(item_id: uuid.UUID, body: ItemChange, session: SessionDep, principal: Organiser) -> dict:
    """A material change (budget, content, implementer) is published and the project's window starts again."""
    item, notice = await _item(session, principal, item_id)
    await service.restart_item(session, principal, item, notice, body.model_dump())
    return await notice_view(session, notice)


@router.post(
    "/notice-items/{item_id}/confirmation",
    status_code=status.HTTP_201_CREATED,
    response_model=ConfirmationRead,
    summary="Confirm a project after notice (确定)",
    responses=WRITE,
)
async def confirm(
    item_id: uuid.UUID, body: ConfirmationCreate, session: SessionDep, principal: Organiser
) -> Confirmation:
    """Records the final content, plan, budget and benefits and commits the budget in the pilot's ledger."""
    item, notice = await _item(session, principal, item_id)
    return await confirmation_service.confirm(session, principal, notice, item, **body.model_dump())


@router.get("/objections", response_model=Page[StaffObjection], summary="Objections queue", responses=READ)
async def objection_queue(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    status: ObjectionStatus | None = None,
    notice_id: uuid.UUID | None = None,
) -> dict:
    """Oldest first, in my region, with the contact the objector left (staff only)."""
    return await paginate(session, objections_service.queue_statement(principal, status, notice_id), page)


@router.post(
    "/objections/{objection_id}/decision", response_model=NoticeRead, summary="Answer an objection", responses=WRITE
)
async def decide(objection_id: uuid.UUID, body: ObjectionDecision, session: SessionDep, principal: Organiser) -> dict:
    """Dismiss with a written reply, or uphold: the project leaves the result (or goes back to deliberation) and
    the freed money goes to the next projects in line under the round's rule, explained step by step."""
    objection, notice = await objections_service.get_for(session, principal, objection_id)
    await objections_service.decide(
        session, principal, objection, notice, body.outcome, body.reply, body.ground, body.action
    )
    return await notice_view(session, notice)


@router.put(
    "/calendars/{year}",
    response_model=CalendarRead,
    summary="Set a year's working-day calendar",
    responses=problems(401, 403, 409, 422),
)
async def put_calendar(
    year: Annotated[int, Path(ge=2000, le=2100)], body: CalendarPut, session: SessionDep, principal: CalendarKeeper
) -> object:
    """For a year chinese-calendar does not cover yet (409 for years it does); impossible dates: 422."""
    return await calendars_service.put_calendar(session, principal, year, body.holidays, body.workdays, body.source)


@router.get("/calendars/{year}", response_model=CalendarRead, summary="A year's working-day calendar", responses=READ)
async def get_calendar(
    year: Annotated[int, Path(ge=2000, le=2100)], session: SessionDep, principal: Reader
) -> WorkCalendarYear:
    """The administrator calendar of a year (404 when there is none)."""
    return await calendars_service.get_calendar(session, year)
