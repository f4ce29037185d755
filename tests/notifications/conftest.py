"""Fixtures of the notification tests: a WeChat stand-in on 127.0.0.1, settings pointing at it, the worker."""

import pytest

from app.notifications.delivery import Providers
from app.notifications.worker import run_once
from app.sms.senders import make_sms_sender
from app.wechat.client import WechatClient
from tests.factories import make_tree
from tests.proposals.helpers import make_pworld
from tests.providers.wechat_server import WechatServer, WechatState

APP_ID, APP_SECRET = "wx1234567890abcdef", "s3cr3t-of-the-mini-program"
TEMPLATES = {
    "round_opened": "TPL-ROUND",
    "round_closing": "TPL-ROUND",
    "proposal_moved": "TPL-PROPOSAL",
    "objection_answered": "TPL-OBJECTION",
    "notice_published": "TPL-NOTICE",
}


@pytest.fixture
def wechat():
    """The WeChat stand-in, knowing our mini-program and another one."""
    state = WechatState(apps={APP_ID: APP_SECRET, "wxother000000000": "other-secret"})
    with WechatServer(state) as server:
        yield server


@pytest.fixture
def settings(settings, wechat):
    """The test settings with WeChat pointed at the stand-in, and no quiet hours unless a test sets them."""
    return settings.model_copy(
        update={
            "wechat_app_id": APP_ID,
            "wechat_app_secret": APP_SECRET,
            "wechat_api_base": wechat.base_url,
            "wechat_templates": TEMPLATES,
            "notify_quiet_hours": "",
        }
    )


@pytest.fixture
async def providers(app):
    """What the worker sends through: the WeChat stand-in and the log SMS sender."""
    client = WechatClient(app.state.settings)
    yield Providers(app.state.sessionmaker, app.state.settings, make_sms_sender(app.state.settings), client)
    await client.aclose()


@pytest.fixture
def work(providers):
    """A worker's passes until one finds nothing due (a pass takes at most 20 events and 20 deliveries)."""

    async def drain() -> int:
        done = 0
        while (step := await run_once(providers, "test-worker")) > 0:
            done += step
        return done

    return drain


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme with residents of community a1."""
    return await make_pworld(client, session, app, tree)
