"""/api/v1/auth: staff password login, resident phone codes, token rotation, logout, who am I."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, status

from app.auth import otp_service, profile_service
from app.auth import service as auth_service
from app.auth.deps import CurrentPrincipal
from app.auth.limits import limit_otp_request, limit_otp_verify, login_with_backoff
from app.auth.otp import OtpSender, get_otp_sender
from app.auth.schemas import LoginIn, MeOut, OtpRequestedOut, OtpRequestIn, OtpVerifyIn, RefreshIn, TokenOut
from app.auth.secrets import normalise_phone
from app.auth.users_schemas import UserNoticeOut
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText
from app.core.db import SessionDep
from app.core.errors import BadRequest, Unprocessable, problems

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _password_form(
    username: Annotated[ParamText, Form(min_length=1, max_length=64)],
    password: Annotated[ParamText, Form(min_length=1, max_length=128)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> LoginIn:
    """The OAuth2 password form Swagger's Authorize button posts (scope and client fields ignored)."""
    return LoginIn.model_construct(username=username, password=password)


def _phone(raw: str) -> str:
    phone = normalise_phone(raw)
    if phone is None:
        raise Unprocessable("请填写有效的中国大陆手机号码。Not a mainland China mobile number.", code="invalid_phone")
    return phone


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Log in (OAuth2 password form, for /docs)",
    responses=problems(401, 422, 429),
)
async def token(request: Request, session: SessionDep, form: Annotated[LoginIn, Depends(_password_form)]) -> dict:
    """Staff login through the OAuth2 password form."""
    return await login_with_backoff(request, session, form.username, form.password)


@router.post(
    "/login", response_model=TokenOut, summary="Log in with username and password", responses=problems(401, 422, 429)
)
async def login(request: Request, session: SessionDep, body: LoginIn) -> dict:
    """Staff login with a JSON body."""
    return await login_with_backoff(request, session, body.username, body.password)


@router.post(
    "/refresh", response_model=TokenOut, summary="Exchange a refresh token for new tokens", responses=problems(401, 422)
)
async def refresh(request: Request, session: SessionDep, body: RefreshIn) -> dict:
    """Rotate: the refresh token is spent; presenting a spent one again ends the whole session."""
    return await auth_service.refresh(session, request.app.state.settings, body.refresh_token)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this login session", responses=problems(400, 401)
)
async def logout(session: SessionDep, principal: CurrentPrincipal) -> None:
    """Revoke the caller's session: its access and refresh tokens stop working at once."""
    if principal.kind != "user":
        raise BadRequest("API tokens are revoked by staff, not logged out.", code="not_a_session")
    await auth_service.logout(session, principal)


@router.get("/me", response_model=MeOut, summary="Who am I", responses=problems(401))
async def me(session: SessionDep, principal: CurrentPrincipal) -> MeOut:
    """The caller's role, region, masked phone and organisation."""
    return await profile_service.whoami(session, principal)


@router.get(
    "/me/notices",
    response_model=Page[UserNoticeOut],
    summary="Changes others made to my account",
    responses=problems(401, 422),
)
async def my_notices(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)]
) -> dict:
    """Every change of the caller's role, region, organisation or password through user management, newest first."""
    return await paginate(session, profile_service.notices_statement(principal), page)


@router.post(
    "/otp/request",
    response_model=OtpRequestedOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a one-time login code to a phone",
    responses=problems(422, 429),
)
async def otp_request(
    request: Request,
    session: SessionDep,
    body: OtpRequestIn,
    background: BackgroundTasks,
    sender: Annotated[OtpSender, Depends(get_otp_sender)],
) -> OtpRequestedOut:
    """Same answer for every valid number, known or not; the SMS goes out after the code is stored."""
    phone = _phone(body.phone)
    await limit_otp_request(request, phone)
    settings = request.app.state.settings
    code = await otp_service.request_code(session, settings, phone)
    # A background task runs after the commit: no code is sent that was not stored, and a slow
    # SMS gateway never holds the database transaction open.
    background.add_task(otp_service.deliver, sender, phone, code)
    return OtpRequestedOut(
        detail="If this number can receive SMS, a code is on its way.", expires_in=settings.otp_ttl_seconds
    )


@router.post(
    "/otp/verify",
    response_model=TokenOut,
    summary="Log in with a one-time code",
    responses=problems(401, 403, 422, 429),
)
async def otp_verify(request: Request, session: SessionDep, body: OtpVerifyIn) -> dict:
    """Residents: a correct code logs in, creating the account on first use."""
    phone = _phone(body.phone)
    await limit_otp_verify(request)
    return await otp_service.verify_code(session, request.app.state.settings, phone, body.code)
