"""PgBouncer in transaction mode in front of the test PostgreSQL, and which tests also run through it.

Those tests get a third backend parameter, "pgbouncer": the same PostgreSQL database, reached through a
PgBouncer of this test process, with WEISHI_DB_POOLER=pgbouncer (docs/scaling.md)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from pgbouncer import PgBouncer

TESTS = Path(__file__).resolve().parent
# The API tests of voting, funds and notices, the fast lane's, and every concurrency test.
THROUGH_FOLDERS = {TESTS / "voting", TESTS / "funds", TESTS / "notices", TESTS / "fastlane"}
THROUGH_FILES = {"test_concurrency.py", "test_race.py"}


def pgbouncer_test(path: Path, marker) -> bool:
    """Whether the test at `path` also runs through PgBouncer (or asks to, with @pytest.mark.pgbouncer)."""
    return path.parent in THROUGH_FOLDERS or path.name in THROUGH_FILES or marker("pgbouncer") is not None


@pytest.fixture(scope="session")
def pgbouncer(pg_template):
    """This test process's PgBouncer (Debian's; .ci/run installs it) in front of TEST_DATABASE_URL."""
    from tests.conftest import IN_CI, PG_URL

    if not PgBouncer.available():
        if IN_CI:
            pytest.fail("pgbouncer is not installed (apt-get install pgbouncer)")
        pytest.skip("pgbouncer is not installed")
    # Round robin over at least three server connections: a client's consecutive transactions land on different
    # servers, as they do under load, so anything a transaction leaves on its server connection is missed.
    bouncer = PgBouncer(PG_URL, round_robin=True).start()
    yield bouncer
    bouncer.close()
