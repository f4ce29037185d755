"""SMS senders: one interface, a provider each (app/sms/aliyun.py, app/sms/tencent.py), and the log sender that
development uses. Chosen by settings.otp_sender; production refuses the log sender (app/core/config.py)."""

import logging
from dataclasses import dataclass
from typing import Protocol

from app.auth.secrets import mask_phone
from app.core.config import Settings

log = logging.getLogger("weishi.sms")


class SmsError(Exception):
    """The provider refused or could not be reached; `retryable` when trying again later may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


@dataclass(frozen=True)
class Sent:
    """The provider took the message; its id comes back on delivery receipts."""

    message_id: str


class SmsSender(Protocol):
    """Sends one templated SMS to one phone."""

    name: str

    async def send(self, phone: str, template_id: str, params: dict[str, str]) -> Sent:
        """Send; raise SmsError on a refusal or failure."""


class LogSmsSender:
    """Development: writes the message to the server log; nothing reaches a phone."""

    name = "log"

    async def send(self, phone: str, template_id: str, params: dict[str, str]) -> Sent:
        """Log the message."""
        log.warning("SMS to %s, template %s, %s (log sender: no SMS was sent)", mask_phone(phone), template_id, params)
        return Sent(message_id="log")


def make_sms_sender(settings: Settings) -> SmsSender:
    """The sender named by settings.otp_sender."""
    if settings.otp_sender == "aliyun":
        from app.sms.aliyun import AliyunSender

        return AliyunSender(settings)
    if settings.otp_sender == "tencent":
        from app.sms.tencent import TencentSender

        return TencentSender(settings)
    return LogSmsSender()
