"""Mini-program sign-in: a wx.login code gives the openid; the phone-number button's code gives the phone, which
binds the WeChat identity to the resident the voter roll knows by that phone (transactional)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.auth.models import Role, User
from app.auth.otp_service import phone_digest
from app.auth.secrets import mask_phone, normalise_phone
from app.auth.service import start_session
from app.common.models import utcnow
from app.core.config import Settings
from app.core.errors import (
    Conflict,
    Forbidden,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from app.notifications import contacts_service
from app.wechat import client as wx
from app.wechat.models import WechatIdentity
from app.wechat.tokens import access_token


def login_problem(exc: wx.WechatError) -> ProblemError:
    """What a resident's app is told when jscode2session refused the code."""
    if exc.errcode == wx.CODE_USED:
        return Unauthorized("该微信登录凭证已使用过，请重新调用 wx.login 获取。", code="wechat_code_used")
    if exc.errcode == wx.CODE_INVALID:
        return Unauthorized("微信登录凭证无效或已过期，请重新调用 wx.login 获取。", code="wechat_code_invalid")
    if exc.errcode == wx.RATE_LIMITED:
        return TooManyRequests("微信登录过于频繁，请稍后再试。", code="wechat_rate_limited", retry_after=60)
    if exc.retryable:
        return ServiceUnavailable("暂时无法连接微信，请稍后再试。", code="wechat_unavailable")
    # Anything else (a wrong app secret, an app id WeChat does not know) is our configuration, not the resident.
    return ServiceUnavailable(
        "微信登录暂不可用，请改用短信验证码登录。", code="wechat_misconfigured", extra={"errcode": exc.errcode}
    )


async def _phone(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, client: wx.WechatClient, phone_code: str
) -> str:
    """The phone behind a phone-number button's code, checked to be for our mini-program and a mainland number."""
    try:
        for force in (False, True):
            token = await access_token(sessionmaker, settings, client, force=force)
            try:
                info = await client.phone_number(token, phone_code)
                break
            except wx.WechatError as exc:
                if exc.errcode not in wx.TOKEN_INVALID or force:
                    raise
    except wx.WechatError as exc:
        if exc.errcode == wx.CODE_INVALID:
            raise Unprocessable(
                "手机号授权凭证无效、已使用或不属于本小程序。", code="wechat_phone_code_invalid"
            ) from exc
        raise login_problem(exc) from exc
    if (info.get("watermark") or {}).get("appid") != settings.wechat_app_id:
        raise Unprocessable("手机号授权凭证不属于本小程序。", code="wechat_phone_code_other_app")
    phone = normalise_phone(str(info.get("purePhoneNumber") or ""))
    if str(info.get("countryCode")) != "86" or phone is None:
        raise Unprocessable("请使用中国大陆手机号。", code="invalid_phone")
    return phone


async def _bind(
    session: AsyncSession,
    settings: Settings,
    identity: WechatIdentity | None,
    phone: str,
    openid: str,
    unionid: str | None,
) -> User:
    """The resident of this phone, bound to the identity (created on first use)."""
    digest = phone_digest(settings, phone)
    by_phone = await session.scalar(select(User).where(User.phone_digest == digest))
    if identity is not None:
        user = await session.get(User, identity.user_id)
        if user.phone_digest == digest:
            return user
        if user.phone_digest is not None or by_phone is not None:
            raise Conflict("该微信已绑定其他手机号的账户，一个微信只能绑定一位居民。", code="wechat_phone_mismatch")
        user.phone_digest, user.phone_masked = digest, mask_phone(phone)
        return user
    user = by_phone
    if user is None:
        user = User(
            role=Role.resident, display_name=f"居民{phone[-4:]}", phone_digest=digest, phone_masked=mask_phone(phone)
        )
        session.add(user)
        await session.flush()
    elif user.role != Role.resident:
        raise Forbidden("工作人员账户请用用户名和密码登录。", code="wechat_not_for_staff")
    session.add(WechatIdentity(app_id=settings.wechat_app_id, openid=openid, unionid=unionid, user_id=user.id))
    await session.flush()
    return user


async def sign_in(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: wx.WechatClient,
    code: str,
    phone_code: str | None,
) -> dict[str, Any]:
    """Tokens for the resident behind a wx.login code; the first sign-in needs the phone button's code too."""
    if not settings.wechat_app_id:
        raise ServiceUnavailable("本服务未配置微信小程序登录，请用短信验证码登录。", code="wechat_not_configured")
    try:
        wx_session = await client.code_to_session(code)
    except wx.WechatError as exc:
        raise login_problem(exc) from exc
    identity = await session.scalar(
        select(WechatIdentity).where(
            WechatIdentity.app_id == settings.wechat_app_id, WechatIdentity.openid == wx_session.openid
        )
    )
    if phone_code:
        phone = await _phone(sessionmaker, settings, client, phone_code)
        user = await _bind(session, settings, identity, phone, wx_session.openid, wx_session.unionid)
        await contacts_service.remember_phone(session, settings, user.id, phone)
    elif identity is None:
        raise Unprocessable(
            "首次使用微信登录，请授权手机号（getPhoneNumber），以便与居民名册核对。", code="wechat_phone_required"
        )
    else:
        user = await session.get(User, identity.user_id)
    if not user.is_active:
        raise Unauthorized("账户已停用。", code="account_disabled")
    identity = identity or await session.scalar(
        select(WechatIdentity).where(
            WechatIdentity.app_id == settings.wechat_app_id, WechatIdentity.openid == wx_session.openid
        )
    )
    identity.last_login_at = utcnow()
    if wx_session.unionid:
        identity.unionid = wx_session.unionid
    tokens = await start_session(session, settings, user)
    await audit.record(
        session,
        audit.Actor("user", str(user.id), user.display_name),
        "auth.wechat_login",
        "user",
        user.id,
        after={"role": user.role.value, "phone_bound": bool(phone_code)},
    )
    return tokens
