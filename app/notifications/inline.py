"""A notification worker running as a task of the API process (settings.notify_inline_worker), for `make run`."""

import asyncio
import contextlib

from fastapi import FastAPI

from app.notifications.delivery import Providers
from app.notifications.worker import run
from app.sms.senders import make_sms_sender
from app.wechat.client import WechatClient


class InlineWorker:
    """The task and what it holds, stopped with the app."""

    def __init__(self, app: FastAPI) -> None:
        settings = app.state.settings
        self.wechat = WechatClient(settings) if settings.wechat_app_id else None
        self.halt = asyncio.Event()
        providers = Providers(app.state.sessionmaker, settings, make_sms_sender(settings), self.wechat)
        self.task = asyncio.create_task(run(providers, stop=self.halt))

    async def stop(self) -> None:
        """Let the current pass finish, then close."""
        self.halt.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)
        if self.wechat is not None:
            await self.wechat.aclose()


def start_inline_worker(app: FastAPI) -> InlineWorker:
    """Start the in-process worker."""
    return InlineWorker(app)
