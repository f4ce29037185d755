"""A stand-in for api.weixin.qq.com on 127.0.0.1, answering as WeChat documents: jscode2session, stable_token,
getuserphonenumber and subscribeMessage.send, with their errcodes (40029 invalid code, 40163 code been used,
45011 rate limit, -1 system busy, 40001 invalid token, 43101 user refused). It runs in a thread of the test
process (tests/providers/local.py)."""

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from tests.providers.local import LocalServer


@dataclass
class WechatState:
    """What the stand-in knows: its apps, the codes it issued, tokens, and every message it accepted."""

    apps: dict[str, str] = field(default_factory=dict)  # appid -> secret
    login_codes: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # code -> appid, openid, union
    used_codes: set[str] = field(default_factory=set)
    phone_codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> appid, phone
    tokens: dict[str, str] = field(default_factory=dict)  # token -> appid
    current_token: dict[str, str] = field(default_factory=dict)  # appid -> token
    token_fetches: int = 0
    rate_limited: bool = False
    busy_sends: int = 0  # answer this many sends with -1 system busy
    refused_openids: set[str] = field(default_factory=set)  # 43101 for these
    hold_sends: bool = False  # sends hang (never processed) while set
    # Sends are accepted (the message goes out, a grant is spent) and then the answer hangs: the window between
    # WeChat's acceptance and the sender's record of it.
    hold_after_accept: bool = False
    held: int = 0
    sent: list[dict] = field(default_factory=list)
    session_keys: list[str] = field(default_factory=list)  # every session key handed out
    watermark_appid: str | None = None  # set: phone answers carry this app id (a tampered answer)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def login_code(self, appid: str, openid: str, unionid: str | None = None) -> str:
        """What wx.login would give the mini-program of `appid` for this user."""
        code = "0" + secrets.token_hex(15)
        self.login_codes[code] = (appid, openid, unionid)
        return code

    def phone_code(self, appid: str, phone: str) -> str:
        """What the phone-number button would give the mini-program of `appid`."""
        code = secrets.token_hex(16)
        self.phone_codes[code] = (appid, phone)
        return code


def _error(code: int, msg: str) -> dict:
    return {"errcode": code, "errmsg": f"{msg} rid: {secrets.token_hex(4)}"}


class _Handler(BaseHTTPRequestHandler):
    state: WechatState

    def log_message(self, *args):  # quiet
        return

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)  # WeChat answers errors with 200 and an errcode
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _token_app(self, query: dict) -> str | None:
        return self.state.tokens.get((query.get("access_token") or [""])[0])

    def do_GET(self):
        url, s = urlparse(self.path), self.state
        q = parse_qs(url.query)
        s.requests.append(url.path)
        if url.path != "/sns/jscode2session":
            return self._answer(_error(40066, "invalid url"))
        appid, secret, code = (q.get(k, [""])[0] for k in ("appid", "secret", "js_code"))
        if s.apps.get(appid) is None:
            return self._answer(_error(40013, "invalid appid"))
        if s.apps[appid] != secret:
            return self._answer(_error(40125, "invalid appsecret"))
        if s.rate_limited:
            return self._answer(_error(45011, "api minute-quota reach limit"))
        with s.lock:
            if code in s.used_codes:
                return self._answer(_error(40163, "code been used"))
            issued = s.login_codes.get(code)
            if issued is None or issued[0] != appid:
                return self._answer(_error(40029, "invalid code"))
            s.used_codes.add(code)
        body = {"openid": issued[1], "session_key": secrets.token_urlsafe(16)}
        s.session_keys.append(body["session_key"])
        if issued[2]:
            body["unionid"] = issued[2]
        return self._answer(body)

    def do_POST(self):
        url, s = urlparse(self.path), self.state
        q, body = parse_qs(url.query), self._body()
        s.requests.append(url.path)
        if url.path == "/cgi-bin/stable_token":
            appid = body.get("appid", "")
            if body.get("grant_type") != "client_credential" or s.apps.get(appid) != body.get("secret"):
                return self._answer(_error(40125, "invalid appsecret"))
            with s.lock:
                s.token_fetches += 1
                if body.get("force_refresh") or appid not in s.current_token:
                    token = secrets.token_urlsafe(32)
                    s.tokens = {t: a for t, a in s.tokens.items() if a != appid}  # the old one stops working
                    s.tokens[token] = appid
                    s.current_token[appid] = token
            return self._answer({"access_token": s.current_token[appid], "expires_in": 7200})
        appid = self._token_app(q)
        if appid is None:
            return self._answer(_error(40001, "invalid credential, access_token is invalid or not latest"))
        if url.path == "/wxa/business/getuserphonenumber":
            with s.lock:
                issued = s.phone_codes.pop(body.get("code", ""), None)
            if issued is None or issued[0] != appid:
                return self._answer(_error(40029, "invalid code"))
            phone = issued[1]
            return self._answer(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "phone_info": {
                        "phoneNumber": phone,
                        "purePhoneNumber": phone,
                        "countryCode": "86",
                        "watermark": {"timestamp": 1700000000, "appid": s.watermark_appid or appid},
                    },
                }
            )
        if url.path == "/cgi-bin/message/subscribe/send":
            if s.hold_sends:
                with s.lock:
                    s.held += 1
                s.release.wait(30)  # hangs, then drops the request unprocessed, as a stalled gateway would
                return None
            with s.lock:
                if s.busy_sends > 0:
                    s.busy_sends -= 1
                    return self._answer(_error(-1, "system error"))
            if body.get("touser") in s.refused_openids:
                return self._answer(_error(43101, "user refuse to accept the msg"))
            with s.lock:
                msgid = len(s.sent) + 1000
                s.sent.append({**body, "appid": appid, "msgid": msgid})
            if s.hold_after_accept:
                with s.lock:
                    s.held += 1
                s.release.wait(30)  # accepted and sent; the answer never comes
                return None
            return self._answer({"errcode": 0, "errmsg": "ok", "msgid": msgid})
        return self._answer(_error(40066, "invalid url"))


class WechatServer(LocalServer):
    """The WeChat stand-in."""

    def __init__(self, state: WechatState) -> None:
        super().__init__(_Handler, state)

    def stopping(self) -> None:
        """Release sends held hanging."""
        self.state.release.set()
