"""HTTP for representative meetings: roster, announce, session, sign-in, agenda, votes, decisions, minutes."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.auth.deps import CurrentPrincipal, require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.deliberation import meetings_service, policy, roster_service, sittings_service
from app.deliberation.enums import MeetingState
from app.deliberation.models import Meeting, Motion
from app.deliberation.schemas import (
    DecisionCreate,
    MeetingCancel,
    MeetingClose,
    MeetingCreate,
    MeetingRead,
    MinutesRead,
    MotionCreate,
    MotionRead,
    QuorumStatus,
    RepresentativeCreate,
    RepresentativeRead,
    RepresentativeRetire,
    SignInCreate,
    SignInRead,
    VoteCreate,
    VoteRead,
)

router = APIRouter(prefix="/api/v1", tags=["deliberation"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]
WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404)


async def valid_meeting(meeting_id: uuid.UUID, session: SessionDep) -> Meeting:
    """The meeting named in the path, or 404."""
    return await meetings_service.get_meeting(session, meeting_id)


async def valid_motion(motion_id: uuid.UUID, session: SessionDep) -> Motion:
    """The agenda item named in the path, or 404."""
    return await sittings_service.get_motion(session, motion_id)


MeetingDep = Annotated[Meeting, Depends(valid_meeting)]
MotionDep = Annotated[Motion, Depends(valid_motion)]


@router.post(
    "/communities/{community_id}/representatives",
    status_code=status.HTTP_201_CREATED,
    response_model=RepresentativeRead,
    summary="Add a resident representative to the roster",
    responses=WRITE,
)
async def add_representative(
    community_id: uuid.UUID, body: RepresentativeCreate, request: Request, session: SessionDep, principal: Organiser
) -> dict:
    """The roster is the total quorum and majority count against; frozen while a meeting is in session. Namesakes
    are told apart by their unit or phone; only a true duplicate gets 409 `representative_exists`."""
    community = await roster_service.get_community(session, community_id)
    rep = await roster_service.add_representative(session, request.app.state.settings, principal, community, body)
    return await roster_service.view(session, rep)


@router.get(
    "/communities/{community_id}/representatives",
    response_model=Page[RepresentativeRead],
    summary="The community's roster of representatives",
    responses=READ,
)
async def list_representatives(
    community_id: uuid.UUID, session: SessionDep, principal: Reader, page: Paging, active: QueryBool = True
) -> dict:
    """Active representatives by default; `active=false` lists former ones. Each has a label with their unit and
    masked phone, so namesakes can be told apart."""
    community = await roster_service.get_community(session, community_id)
    policy.check_read(principal, community.path, "community")
    result = await paginate(session, roster_service.list_statement(community.id, active), page)
    return {**result, "items": await roster_service.describe(session, result["items"])}


@router.post(
    "/representatives/{representative_id}/retire",
    response_model=RepresentativeRead,
    summary="Take a representative off the roster",
    responses=WRITE,
)
async def retire_representative(
    representative_id: uuid.UUID, body: RepresentativeRetire, session: SessionDep, principal: Organiser
) -> dict:
    """Past sign-ins and votes keep their link; 409 while a meeting of the community is in session."""
    rep = await roster_service.get_representative(session, representative_id)
    return await roster_service.view(session, await roster_service.retire_representative(session, principal, rep, body))


@router.post(
    "/communities/{community_id}/meetings",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingRead,
    summary="Announce a representative meeting",
    responses=WRITE,
)
async def announce_meeting(
    community_id: uuid.UUID, body: MeetingCreate, session: SessionDep, principal: Organiser
) -> Meeting:
    """Time, place, host, participants and form are published at once (public endpoint)."""
    community = await roster_service.get_community(session, community_id)
    return await meetings_service.announce(session, principal, community, body)


@router.get(
    "/meetings", response_model=Page[MeetingRead], summary="List representative meetings", responses=problems(401, 403)
)
async def list_meetings(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    community_id: uuid.UUID | None = None,
    state: MeetingState | None = None,
) -> dict:
    """Meetings of the caller's region, newest first."""
    return await paginate(session, meetings_service.list_statement(principal, community_id, state), page)


@router.get("/meetings/{meeting_id}", response_model=MeetingRead, summary="Read a meeting", responses=READ)
async def read_meeting(meeting: MeetingDep, principal: Reader) -> Meeting:
    """One meeting; 404 outside the caller's region."""
    policy.check_read(principal, meeting.region_path, "meeting")
    return meeting


@router.get(
    "/meetings/{meeting_id}/quorum",
    response_model=QuorumStatus,
    summary="Attendance against the quorum",
    responses=problems(401, 403, 404, 409),
)
async def read_quorum(meeting: MeetingDep, session: SessionDep, principal: Reader) -> dict:
    """How many have signed in, how many are needed (2/3 of ALL representatives by default)."""
    policy.check_read(principal, meeting.region_path, "meeting")
    if meeting.total_representatives is None:
        meetings_service.require_state(meeting, MeetingState.in_session, MeetingState.closed)
    return meetings_service.quorum_status(meeting, await meetings_service.attendance_of(session, meeting.id))


@router.post(
    "/meetings/{meeting_id}/cancel", response_model=MeetingRead, summary="Cancel an announced meeting", responses=WRITE
)
async def cancel_meeting(
    body: MeetingCancel, meeting: MeetingDep, session: SessionDep, principal: Organiser
) -> Meeting:
    """Only before the session opens; the cancellation is public too."""
    return await meetings_service.cancel(session, principal, meeting, body)


@router.post("/meetings/{meeting_id}/open", response_model=MeetingRead, summary="Open the session", responses=WRITE)
async def open_meeting(meeting: MeetingDep, session: SessionDep, principal: Organiser) -> Meeting:
    """Freezes the roster total and the programme's quorum and majority rule on the meeting."""
    return await meetings_service.open_session(session, principal, meeting)


@router.post("/meetings/{meeting_id}/close", response_model=MeetingRead, summary="Close the meeting", responses=WRITE)
async def close_meeting(body: MeetingClose, meeting: MeetingDep, session: SessionDep, principal: Organiser) -> Meeting:
    """Immutable afterwards. Inquorate: recorded as such, every item deferred. Outcomes move the proposals."""
    return await meetings_service.close(session, principal, meeting, body)


@router.post(
    "/meetings/{meeting_id}/sign-ins",
    status_code=status.HTTP_201_CREATED,
    response_model=SignInRead,
    summary="Sign a representative in (签到表)",
    responses=WRITE,
)
async def sign_in(body: SignInCreate, meeting: MeetingDep, session: SessionDep, principal: Organiser) -> dict:
    """One line of the sign-in sheet; it never counts as a vote."""
    [row] = await roster_service.with_representatives(
        session, [await sittings_service.sign_in(session, principal, meeting, body)]
    )
    return row


@router.get(
    "/meetings/{meeting_id}/sign-ins", response_model=Page[SignInRead], summary="The sign-in sheet", responses=READ
)
async def list_sign_ins(meeting: MeetingDep, session: SessionDep, principal: Reader, page: Paging) -> dict:
    """Who attended, in signing order, each with the label that tells namesakes apart."""
    policy.check_read(principal, meeting.region_path, "meeting")
    result = await paginate(session, sittings_service.sign_ins_statement(meeting), page)
    return {**result, "items": await roster_service.with_representatives(session, result["items"])}


@router.post(
    "/meetings/{meeting_id}/motions",
    status_code=status.HTTP_201_CREATED,
    response_model=MotionRead,
    summary="Put an item on the agenda",
    responses=WRITE,
)
async def add_motion(body: MotionCreate, meeting: MeetingDep, session: SessionDep, principal: Organiser) -> Motion:
    """Usually one proposal in deliberation (a deferred one comes back into deliberation)."""
    return await sittings_service.add_motion(session, principal, meeting, body)


@router.get("/meetings/{meeting_id}/motions", response_model=Page[MotionRead], summary="The agenda", responses=READ)
async def list_motions(meeting: MeetingDep, session: SessionDep, principal: Reader, page: Paging) -> dict:
    """Items in order with their decisions."""
    policy.check_read(principal, meeting.region_path, "meeting")
    return await paginate(session, sittings_service.motions_statement(meeting), page)


@router.post(
    "/motions/{motion_id}/votes",
    status_code=status.HTTP_201_CREATED,
    response_model=VoteRead,
    summary="Record a signed vote (表决签名表)",
    responses=WRITE,
)
async def cast_vote(body: VoteCreate, motion: MotionDep, session: SessionDep, principal: CurrentPrincipal) -> dict:
    """Staff record, or the representative signs in the app; signed-in representatives only, once per item.
    Abstaining (`abstain`, 弃权) is a vote: it counts towards everyone present having voted."""
    [row] = await roster_service.with_representatives(
        session, [await sittings_service.cast_vote(session, principal, motion, body)]
    )
    return row


@router.get(
    "/motions/{motion_id}/votes",
    response_model=Page[VoteRead],
    summary="An item's vote signature sheet",
    responses=READ,
)
async def list_votes(motion: MotionDep, session: SessionDep, principal: Reader, page: Paging) -> dict:
    """Each representative's signed vote, in signing order, each with the label that tells namesakes apart."""
    meeting = await meetings_service.get_meeting(session, motion.meeting_id)
    policy.check_read(principal, meeting.region_path, "meeting")
    result = await paginate(session, sittings_service.votes_statement(motion), page)
    return {**result, "items": await roster_service.with_representatives(session, result["items"])}


@router.post(
    "/motions/{motion_id}/decision", response_model=MotionRead, summary="Decide an item from its votes", responses=WRITE
)
async def decide_motion(body: DecisionCreate, motion: MotionDep, session: SessionDep, principal: Organiser) -> Motion:
    """Passes only if votes for exceed half the majority base; 409 at an inquorate meeting. While representatives
    present have not voted: 409 `votes_missing`, unless `confirm_incomplete` with an `incomplete_reason`, which
    the item and its minutes record."""
    return await sittings_service.decide(session, principal, motion, body)


@router.get(
    "/meetings/{meeting_id}/minutes", response_model=MinutesRead, summary="The minutes (会议记录表)", responses=READ
)
async def read_minutes(meeting: MeetingDep, session: SessionDep, principal: Reader) -> dict:
    """Topic, attendance, and item by item the discussion and the result."""
    policy.check_read(principal, meeting.region_path, "meeting")
    return await sittings_service.minutes(session, meeting)
