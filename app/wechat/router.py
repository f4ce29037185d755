"""/api/v1/auth/wechat: residents sign in from the WeChat mini-program."""

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field

from app.auth.limits import limit_otp_verify
from app.auth.schemas import TokenOut
from app.common.schemas import WriteModel
from app.core.db import SessionDep
from app.core.errors import problems
from app.wechat.client import WechatClient
from app.wechat.signin import sign_in

router = APIRouter(prefix="/api/v1/auth/wechat", tags=["auth"])
WxCode = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]


class MiniProgramLoginIn(WriteModel):
    """The code of wx.login, and on first sign-in the code of the phone-number button (getPhoneNumber)."""

    code: WxCode
    phone_code: WxCode | None = Field(default=None, description="e.detail.code of the getPhoneNumber button")


@router.post(
    "/mini-program",
    response_model=TokenOut,
    summary="Sign in from the WeChat mini-program",
    responses=problems(401, 403, 409, 422, 429, 503),
)
async def mini_program(request: Request, session: SessionDep, body: MiniProgramLoginIn) -> dict:
    """Exchanges the wx.login code at WeChat (jscode2session) for the openid; the phone button's code binds the
    WeChat identity to the resident's phone, which is how the voter roll finds them. The session key stays here."""
    await limit_otp_verify(request)
    state = request.app.state
    client = WechatClient(state.settings)
    try:
        return await sign_in(session, state.sessionmaker, state.settings, client, body.code, body.phone_code)
    finally:
        await client.aclose()
