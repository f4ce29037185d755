"""Stateful API fuzzing: schemathesis follows the OpenAPI document's links (app/openapi/links.py) to chain
calls, e.g. create a proposal, then read, edit and submit it; file an objection to a project under notice,
then follow it by its tracking code; create a round, cast a ballot, read it back and check its receipt.

The app is the fuzz tests' live app (tests/reliability/live_app.py). Every step gets the stateless fuzzer's
checks plus schemathesis's stateful ones (what a 201 created can be read back through its link; what was
deleted is gone). A step is sent as the role that made the step it follows when that role may call it (the
resident who created a proposal edits it), else as the operation's primary role. The suite runs
FUZZ_SCENARIOS (default 8) scenarios of up to FUZZ_STEPS (default 25) calls; `make fuzz` runs 300.
"""

import os
from typing import ClassVar
from unittest import mock

import schemathesis
import schemathesis.specs.openapi.stateful as stateful
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis import checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import StepOutput

from tests.reliability.live_app import CHECKS, NARROWEST_FIRST, OPENAPI, primary_role
from tests.test_access_matrix import EXPECTED

SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "8"))
STEPS = int(os.environ.get("FUZZ_STEPS", "25"))
STATEFUL_CHECKS = [*CHECKS, checks.ensure_resource_availability, checks.use_after_free]

schema = schemathesis.openapi.from_path(OPENAPI)
schema.config.phases.stateful.inference.algorithms = []  # the document's own links, nothing guessed


def _can_start(operation, node, produced_anywhere) -> bool:
    # Schemathesis would start scenarios only at operations whose path ids some other operation creates;
    # the live app fills ids of seeded objects (a pilot, a community, a notice), so any POST or list can start.
    return operation.method == "post" or (operation.method == "get" and not operation.path_parameters)


with mock.patch.object(stateful, "is_likely_root_transition", _can_start):
    Workflow = schema.as_state_machine()


class LiveWorkflow(Workflow):
    """The state machine, sending each step to the live app as the right role."""

    live = None
    scenarios = 0
    failures: ClassVar[list[FailureGroup]] = []

    def setup(self) -> None:
        type(self).scenarios += 1
        self.roles: dict[str, str | None] = {}

    def step(self, input):
        case = input.case
        role = primary_role(case.operation.method, case.path)
        parent = self.roles.get(input.transition.parent_id) if input.transition else None
        if parent is not None and _allowed(parent, case.operation.method, case.path):
            role = parent
        self.roles[case.id] = role
        keep = frozenset(name for location, name in input.applied_parameters if location == ParameterLocation.PATH)
        response = Response.from_any(self.live.send(case, role, keep=keep))
        self.after_call(response, case)
        try:
            case.validate_response(response, checks=STATEFUL_CHECKS, recorder=self.recorder)
        except FailureGroup as failure:
            type(self).failures.append(failure)
            raise
        return StepOutput(response, case)


def _allowed(role: str, method: str, path: str) -> bool:
    decision = EXPECTED[(method.upper(), path)]
    return decision.roles is None or any(name == role and r in decision.roles for r, name in NARROWEST_FIRST)


def test_api_stateful(live):
    LiveWorkflow.live, LiveWorkflow.scenarios, LiveWorkflow.failures = live, 0, []
    # Scenarios share one app and change it, so a choice Hypothesis replays may meet other responses and
    # take another path (Flaky). Like schemathesis's own runner: keep what the checks found, and run on.
    for _ in range(5):
        try:
            LiveWorkflow.run(
                settings=settings(
                    max_examples=SCENARIOS - LiveWorkflow.scenarios,
                    stateful_step_count=STEPS,
                    phases=[Phase.generate],
                    deadline=None,
                    derandomize=SCENARIOS <= 50,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
            break
        except Flaky:
            if LiveWorkflow.failures or LiveWorkflow.scenarios >= SCENARIOS:
                break
    if LiveWorkflow.failures:
        raise LiveWorkflow.failures[0]
