"""Tencent Cloud SMS (2021-01-11) through its official SDK; the SDK signs each call (TC3-HMAC-SHA256)."""

import asyncio

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from app.core.config import Settings
from app.sms.senders import Sent, SmsError

# Codes Tencent documents as "try again later": frequency limits, its own faults and timeouts.
RETRYABLE = (
    "RequestLimitExceeded",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "InternalError",
    "ClientNetworkError",
    "ServerNetworkError",
)
# Template parameters go in this order ({1}, {2} in the template text).
PARAM_ORDER = ("code", "title", "body")


class TencentSender:
    """SendSms with the SDK app id, sign name and template from settings."""

    name = "tencent"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        http = HttpProfile(
            endpoint=settings.tencent_sms_endpoint,
            reqTimeout=10,
            protocol="http" if settings.sms_insecure_http else "https",
        )
        self.client = sms_client.SmsClient(
            credential.Credential(settings.tencent_secret_id, settings.tencent_secret_key),
            settings.tencent_sms_region,
            ClientProfile(httpProfile=http),
        )

    def _send(self, phone: str, template_id: str, params: dict[str, str]) -> Sent:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.settings.tencent_sms_app_id
        request.SignName = self.settings.sms_sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = [params[k] for k in PARAM_ORDER if k in params]
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "unknown"
            raise SmsError(code, exc.get_message() or "", retryable=code.startswith(RETRYABLE)) from exc
        status = response.SendStatusSet[0]
        if status.Code != "Ok":
            raise SmsError(status.Code, status.Message or "", retryable=status.Code.startswith(RETRYABLE))
        return Sent(message_id=status.SerialNo)

    async def send(self, phone: str, template_id: str, params: dict[str, str]) -> Sent:
        """One message; the SDK is synchronous, so it runs on a thread."""
        return await asyncio.to_thread(self._send, phone, template_id, params)
