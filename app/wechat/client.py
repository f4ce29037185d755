"""The documented WeChat server API over HTTPS (WeChat ships no Python server SDK): code to session, the stable
access token, the phone-number button's code, subscribe messages. The base URL is a setting, so tests point it at
a stand-in on 127.0.0.1 that answers as WeChat documents."""

from dataclasses import dataclass
from typing import Any

import httpx

from app.core.config import Settings

# errcodes WeChat documents for these calls, and what they mean for us.
CODE_INVALID = 40029  # invalid code (forged, expired, or issued to another app)
CODE_USED = 40163  # code been used
RATE_LIMITED = 45011  # api minute-quota reach limit (a user's wx.login codes)
BUSY = -1  # system busy, try again
TOKEN_INVALID = (40001, 42001, 40014)  # access token invalid or expired
SUBSCRIPTION_REFUSED = 43101  # user refuse to accept the msg (no one-time grant left)
RETRYABLE = frozenset({BUSY, RATE_LIMITED, 45009, *TOKEN_INVALID})


class WechatError(Exception):
    """WeChat answered with a non-zero errcode (or not at all: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (a network failure, busy, limits, a stale token)."""
        return self.errcode is None or self.errcode in RETRYABLE


@dataclass(frozen=True)
class Session:
    """What jscode2session gives; the session key is dropped at once (never stored, returned or logged)."""

    openid: str
    unionid: str | None


class WechatClient:
    """Calls to api.weixin.qq.com (or the configured base)."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            base_url=settings.wechat_api_base, timeout=settings.wechat_timeout_seconds, transport=transport
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, **kw)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WechatError(None, f"WeChat unreachable or answered garbage: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise WechatError(None, "WeChat answered something other than a JSON object")
        if body.get("errcode", 0) != 0:
            raise WechatError(int(body["errcode"]), str(body.get("errmsg", "")))
        return body

    async def code_to_session(self, code: str) -> Session:
        """GET /sns/jscode2session: the openid (and unionid) behind a wx.login code."""
        s = self.settings
        body = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": s.wechat_app_id,
                "secret": s.wechat_app_secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        if not body.get("openid"):
            raise WechatError(None, "jscode2session gave no openid")
        return Session(openid=body["openid"], unionid=body.get("unionid") or None)

    async def stable_token(self, force_refresh: bool = False) -> tuple[str, int]:
        """POST /cgi-bin/stable_token: (access token, seconds it lives)."""
        s = self.settings
        body = await self._call(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": s.wechat_app_id,
                "secret": s.wechat_app_secret,
                "force_refresh": force_refresh,
            },
        )
        return body["access_token"], int(body.get("expires_in", 7200))

    async def phone_number(self, access_token: str, code: str) -> dict[str, Any]:
        """POST /wxa/business/getuserphonenumber: the phone_info of a phone-number button's code."""
        body = await self._call(
            "POST", "/wxa/business/getuserphonenumber", params={"access_token": access_token}, json={"code": code}
        )
        return body["phone_info"]

    async def send_subscribe(
        self, access_token: str, openid: str, template_id: str, data: dict[str, str], page: str | None
    ) -> str:
        """POST /cgi-bin/message/subscribe/send; returns WeChat's msgid."""
        payload = {
            "touser": openid,
            "template_id": template_id,
            "lang": "zh_CN",
            "miniprogram_state": self.settings.wechat_miniprogram_state,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if page:
            payload["page"] = page
        body = await self._call(
            "POST", "/cgi-bin/message/subscribe/send", params={"access_token": access_token}, json=payload
        )
        return str(body.get("msgid", ""))
