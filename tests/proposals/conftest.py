"""Fixtures of the proposal tests: an open programme with residents and staff."""

import pytest

from app.idempotency.deps import install_idempotency
from app.idempotency.service import IdempotentReplay
from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme, residents of community a1, and the usual staff cast."""
    return await make_pworld(client, session, app, tree)


@pytest.fixture
def idempotent_app(app):
    """The app answering Idempotency-Key replays (installed before the first request builds the stack)."""
    if IdempotentReplay not in app.exception_handlers:
        install_idempotency(app)
    return app
