"""Fixtures for identity and access: a capturing code sender, apps with their own settings, a region tree."""

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.factories import make_tree

PEER = "203.0.113.10"  # the address the standard test client connects from


@dataclass
class CapturingSender:
    """Keeps every code 'sent', newest last, instead of sending SMS."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last_code(self, phone: str) -> str:
        return next(code for p, code in reversed(self.sent) if p == phone)


@pytest.fixture
def otp_sender(app) -> CapturingSender:
    """Replaces the app's sender so tests can read the codes."""
    sender = CapturingSender()
    app.state.otp_sender = sender
    return sender


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def build(settings) -> AsyncIterator[Callable]:
    """build(peer=..., **settings overrides) -> (app, client): another app instance on the test's database."""
    async with contextlib.AsyncExitStack() as stack:

        async def _build(peer: str = PEER, **overrides):
            app_settings = Settings(**{**settings.model_dump(), **overrides}, _env_file=None)
            application = create_app(app_settings)
            await stack.enter_async_context(application.router.lifespan_context(application))
            application.state.otp_sender = CapturingSender()
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False, client=(peer, 50000))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            return application, client

        yield _build
