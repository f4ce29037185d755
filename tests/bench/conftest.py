"""A database named as a benchmark database, for the benches' guards."""

import uuid

import pytest

from tests.conftest import PG_URL, _pg_exec

BENCH_PREFIX = "weishi_bench"


@pytest.fixture
async def bench_database(pg_template) -> str:
    """A migrated database named as a benchmark database, dropped afterwards."""
    name = f"{BENCH_PREFIX}_t_{uuid.uuid4().hex[:10]}"
    await _pg_exec(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield name
    finally:
        await _pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
