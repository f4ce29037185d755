"""Delivery of one-time login codes: a pluggable sender, chosen by settings, replaceable in tests."""

import logging
import secrets
from typing import Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.secrets import mask_phone
from app.core.config import Settings

log = logging.getLogger("weishi.otp")
CODE_DIGITS = 6


class OtpSender(Protocol):
    """Something that delivers a code to a phone (SMS gateway, log, test capture)."""

    async def send(self, phone: str, code: str) -> None:
        """Deliver code to phone (11 digits); raise on failure."""


class LogSender:
    """Development sender: writes the code to the server log instead of sending an SMS."""

    async def send(self, phone: str, code: str) -> None:
        """Log the code (development and demos only)."""
        log.warning("one-time code for %s: %s (log sender: no SMS was sent)", mask_phone(phone), code)


class SmsOtpSender:
    """Codes by real SMS (Alibaba or Tencent): through app/sms/service.py, so they are capped, retried, recorded."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        from app.sms.senders import make_sms_sender

        self.sessionmaker, self.settings, self.sms = sessionmaker, settings, make_sms_sender(settings)

    async def send(self, phone: str, code: str) -> None:
        """Send the code with the "otp" template."""
        from app.sms import service

        await service.send(self.sessionmaker, self.settings, self.sms, "otp", phone, {"code": code})


def make_sender(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> OtpSender:
    """The sender named by settings.otp_sender."""
    if settings.otp_sender == "log":
        return LogSender()
    return SmsOtpSender(sessionmaker, settings)


def get_otp_sender(request: Request) -> OtpSender:
    """The app's sender (app.state.otp_sender), created from settings on first use."""
    state = request.app.state
    sender = getattr(state, "otp_sender", None)
    if sender is None:
        sender = state.otp_sender = make_sender(state.settings, state.sessionmaker)
    return sender


def new_code() -> str:
    """A uniformly random 6-digit code."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
