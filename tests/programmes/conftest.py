"""Fixtures of the programme tests: the standard tree and a cast of staff headers."""

import pytest

from tests.factories import make_tree
from tests.programmes.helpers import make_headers


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def h(session, app, tree):
    """Headers of the usual cast (district, street_a, street_b, staff_a1, finance, ...)."""
    return await make_headers(session, app, tree)
