"""API fuzzing: schemathesis generates requests from the committed openapi/openapi.json and sends them to
the app in process (tests/reliability/live_app.py), on a seeded database (PostgreSQL when TEST_DATABASE_URL
is set, else SQLite). Every response must not be a 5xx, must match its declared schema, status code and
content type, and a request that violates the schema must be refused (negative data rejection).

Each case is sent as the operation's primary role (the narrowest role the access matrix lets through, or
anonymous for public operations), and one case in five as a role picked from all nine, so every operation
is fuzzed both past its gate and against it.

Two passes:
- the suite's (FUZZ_EXAMPLES ≤ 10, default 0): schemathesis's coverage phase (boundary values, missing and
  unexpected fields, wrong formats, every parameter and property with a wrongly typed value; deterministic)
  plus FUZZ_EXAMPLES random examples per operation. To stay near a minute it sends one wrongly typed value
  per parameter or property rather than one of each JSON type, and no HTTP methods the path lacks (the
  router answers those 405 alike for every path).
- `make fuzz` (FUZZ_EXAMPLES=625): all of the coverage phase, then the random examples, about 500 of them
  as the operation's primary role.
"""

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.meta import CoverageScenario, TestPhase

from tests.reliability.live_app import CHECKS, OPENAPI, role_for

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FAST = EXAMPLES <= 10
schema = schemathesis.openapi.from_path(OPENAPI)
if os.environ.get("FUZZ_ONLY"):  # e.g. FUZZ_ONLY='^POST /api/v1/proposals$' to fuzz what one failure names
    schema = schema.include(name_regex=os.environ["FUZZ_ONLY"])
if FAST:
    schema.config.phases.coverage.unexpected_methods = set()
if not EXAMPLES:
    schema.config.phases.fuzzing.enabled = False
_wrong_types_sent: set[tuple] = set()


def _repeats_a_wrong_type(case) -> bool:
    """In the fast pass: a further wrongly typed value for a parameter or property that already had one."""
    meta = case.meta
    if not FAST or meta is None or meta.phase.name != TestPhase.COVERAGE:
        return False
    data = meta.phase.data
    if data.scenario != CoverageScenario.INCORRECT_TYPE:
        return False
    key = (case.operation.label, data.parameter_location, data.parameter, data.location)
    if key in _wrong_types_sent:
        return True
    _wrong_types_sent.add(key)
    return False


@schema.parametrize()
@settings(
    max_examples=max(EXAMPLES, 1),
    deadline=None,
    derandomize=FAST,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case, live):
    if _repeats_a_wrong_type(case):
        return
    response = live.send(case, role_for(case))
    case.validate_response(response, checks=CHECKS)
