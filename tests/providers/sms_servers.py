"""Stand-ins for the Alibaba Cloud and Tencent Cloud SMS APIs on 127.0.0.1. Each checks the signature its
provider's SDK sends (Alibaba's ACS3-HMAC-SHA256, Tencent's TC3-HMAC-SHA256) against the secret it was given,
and answers as the provider documents, errors and throttling included."""

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, urlparse

from tests.providers.local import LocalServer


@dataclass
class SmsState:
    """Keys the stand-in accepts, answers queued for the next sends, and every message it accepted."""

    key_id: str
    key_secret: str
    queued: list[str] = field(default_factory=list)  # error codes for the next sends, in order
    accepted: list[dict] = field(default_factory=list)
    refused_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_error(self) -> str | None:
        """The error queued for this send, if any."""
        with self.lock:
            return self.queued.pop(0) if self.queued else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Base(BaseHTTPRequestHandler):
    state: SmsState

    def log_message(self, *args):
        return

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Aliyun(_Base):
    """POST / with Action SendSms in x-acs-action and the parameters in the query."""

    def _signature_ok(self, query: dict, payload: bytes) -> bool:
        auth = self.headers.get("Authorization", "")
        algorithm, _, rest = auth.partition(" ")
        parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        if algorithm != "ACS3-HMAC-SHA256" or parts.get("Credential") != self.state.key_id:
            return False
        if self.headers.get("x-acs-content-sha256") != _sha256(payload):
            return False
        signed = parts.get("SignedHeaders", "").split(";")
        if "host" not in signed or "x-acs-date" not in signed or "x-acs-action" not in signed:
            return False
        headers = "".join(f"{h}:{(self.headers.get(h) or '').strip()}\n" for h in signed)
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(query.items()))
        path = urlparse(self.path).path or "/"
        canonical = f"POST\n{path}\n{canonical_query}\n{headers}\n{';'.join(signed)}\n{_sha256(payload)}"
        to_sign = f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode())}"
        expected = hmac.new(self.state.key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))

    def do_POST(self):
        url = urlparse(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request_id = secrets.token_hex(8).upper()
        if not self._signature_ok(query, payload):
            self.state.refused_signatures += 1
            return self._json(
                400,
                {
                    "RequestId": request_id,
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched with our calculation.",
                },
            )
        if self.headers.get("x-acs-action") != "SendSms" or self.headers.get("x-acs-version") != "2017-05-25":
            return self._json(
                404,
                {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": "Specified api is not found"},
            )
        error = self.state.next_error()
        if error == "Throttling.User":  # the gateway's own flow control answers 400
            return self._json(
                400, {"RequestId": request_id, "Code": error, "Message": "Request was denied due to user flow control."}
            )
        if error:  # business refusals come with 200 and a Code (isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_...)
            return self._json(200, {"RequestId": request_id, "Code": error, "Message": "触发号码天级流控"})
        biz_id = f"{secrets.randbelow(10**15):015d}^0"
        with self.state.lock:
            self.state.accepted.append({**query, "BizId": biz_id})
        return self._json(200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": biz_id})


class _Tencent(_Base):
    """POST / with X-TC-Action SendSms and a JSON body."""

    def _signature_ok(self, payload: bytes) -> bool:
        auth = self.headers.get("Authorization", "")
        algorithm, _, rest = auth.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        key_id, _, scope = parts.get("Credential", "").partition("/")
        date, _, service = scope.partition("/")
        service = service.removesuffix("/tc3_request")
        timestamp = self.headers.get("X-TC-Timestamp", "0")
        if algorithm != "TC3-HMAC-SHA256" or key_id != self.state.key_id or service != "sms":
            return False
        if datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") != date:
            return False
        canonical = (
            f"POST\n/\n\ncontent-type:{self.headers.get('Content-Type')}\nhost:{self.headers.get('Host')}\n"
            f"\ncontent-type;host\n{_sha256(payload)}"
        )
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{_sha256(canonical.encode())}"
        key = ("TC3" + self.state.key_secret).encode()
        for part in (date, service, "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))

    def do_POST(self):
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request_id = secrets.token_hex(16)
        if not self._signature_ok(payload):
            self.state.refused_signatures += 1
            return self._json(
                200,
                {
                    "Response": {
                        "Error": {
                            "Code": "AuthFailure.SignatureFailure",
                            "Message": "The provided credentials could not be validated.",
                        },
                        "RequestId": request_id,
                    }
                },
            )
        if self.headers.get("X-TC-Action") != "SendSms" or self.headers.get("X-TC-Version") != "2021-01-11":
            return self._json(
                200,
                {
                    "Response": {
                        "Error": {"Code": "InvalidAction", "Message": "no such action"},
                        "RequestId": request_id,
                    }
                },
            )
        body = json.loads(payload)
        error = self.state.next_error()
        if error == "RequestLimitExceeded":  # a whole-request error
            return self._json(
                200,
                {
                    "Response": {
                        "Error": {"Code": error, "Message": "请求的次数超过了频率限制。"},
                        "RequestId": request_id,
                    }
                },
            )
        phone = body["PhoneNumberSet"][0]
        if error:  # a per-number status (LimitExceeded.PhoneNumberDailyLimit, ...)
            status = {
                "SerialNo": "",
                "PhoneNumber": phone,
                "Fee": 0,
                "SessionContext": "",
                "Code": error,
                "Message": "单个手机号日下发短信条数超过设定的上限",
                "IsoCode": "CN",
            }
        else:
            serial = f"2645:{secrets.randbelow(10**20):020d}"
            status = {
                "SerialNo": serial,
                "PhoneNumber": phone,
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
            with self.state.lock:
                self.state.accepted.append({**body, "SerialNo": serial})
        return self._json(200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}})


class SmsServer(LocalServer):
    """One stand-in (provider "aliyun" or "tencent"); `endpoint` is what the SDKs are given."""

    def __init__(self, provider: str, state: SmsState) -> None:
        super().__init__(_Aliyun if provider == "aliyun" else _Tencent, state)
