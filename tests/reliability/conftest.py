"""Fixtures of the reliability tests: the programme world of the proposal and voting tests, and the live app
the fuzz tests talk to."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld
from tests.reliability.live_app import live_app


@pytest.fixture
async def pw(client, session, app):
    """An open programme, residents of community a1 and staff around them."""
    return await make_pworld(client, session, app, await make_tree(session))


@pytest.fixture(scope="module")
def live(request, tmp_path_factory):
    """The seeded app the fuzzers talk to, one per test module."""
    yield from live_app(request, tmp_path_factory)
