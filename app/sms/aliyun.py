"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) through its official SDK; the SDK signs each call (ACS3-HMAC-SHA256)."""

import json

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from app.core.config import Settings
from app.sms.senders import Sent, SmsError

# Codes Alibaba documents as "try again later": flow control per number, throttling, its own faults.
RETRYABLE = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR")


class AliyunSender:
    """SendSms with the sign name and template from settings; TemplateParam is the params as JSON."""

    name = "aliyun"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = Client(
            Config(
                access_key_id=settings.aliyun_access_key_id,
                access_key_secret=settings.aliyun_access_key_secret,
                endpoint=settings.aliyun_sms_endpoint,
                protocol="HTTP" if settings.sms_insecure_http else "HTTPS",
            )
        )

    async def send(self, phone: str, template_id: str, params: dict[str, str]) -> Sent:
        """One message; SmsError with Alibaba's code when it is refused."""
        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.settings.sms_sign_name,
            template_code=template_id,
            template_param=json.dumps(params, ensure_ascii=False),
        )
        # Our own retries decide (app/sms/service.py): the SDK's would retry what Alibaba may have accepted.
        runtime = RuntimeOptions(autoretry=False, connect_timeout=5000, read_timeout=10000)
        try:
            response = await self.client.send_sms_with_options_async(request, runtime)
        except Exception as exc:  # the SDK raises its own exception types, and network errors as they come
            code = str(getattr(exc, "code", None) or type(exc).__name__)
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            retryable = code.startswith(RETRYABLE) or status is None or int(status) >= 500
            raise SmsError(code, str(getattr(exc, "message", exc))[:200], retryable=retryable) from exc
        body = response.body
        if body.code != "OK":
            code = body.code or "unknown"
            raise SmsError(code, body.message or "", retryable=code.startswith(RETRYABLE))
        return Sent(message_id=body.biz_id)
