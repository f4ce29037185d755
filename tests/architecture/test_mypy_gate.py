"""The mypy baseline gate (scripts/mypy_gate.py) on made-up mypy output: growth fails, shrinking is reported."""

import importlib.util
from collections import Counter
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mypy_gate.py"
spec = importlib.util.spec_from_file_location("mypy_gate", SCRIPT)
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)

OUTPUT = """app/funds/reports_service.py:60: error: Argument 1 has incompatible type "int | None"  [arg-type]
app/funds/reports_service.py:60: note: a note is not an error
app/funds/reports_service.py:74: error: Function is missing a return type annotation  [no-untyped-def]
app/voting/rules.py:9: error: Missing type arguments for generic type "dict"  [type-arg]
Found 3 errors in 2 files (checked 2 source files)
"""


def test_counts_errors_per_file_and_ignores_notes() -> None:
    assert gate.count_errors(OUTPUT) == Counter({"app/funds/reports_service.py": 2, "app/voting/rules.py": 1})


def test_a_file_over_its_baseline_or_absent_from_it_fails() -> None:
    counts = gate.count_errors(OUTPUT)
    # A strict module (rules.py) has no baseline entry, so one error there is growth.
    assert gate.grown(counts, {"app/funds/reports_service.py": 2}) == {"app/voting/rules.py": (0, 1)}
    assert gate.grown(counts, {"app/funds/reports_service.py": 1, "app/voting/rules.py": 1}) == {
        "app/funds/reports_service.py": (1, 2)
    }


def test_fewer_errors_are_reported_for_the_baseline_to_shrink() -> None:
    counts = gate.count_errors(OUTPUT)
    baseline = {"app/funds/reports_service.py": 5, "app/voting/rules.py": 1, "app/gone.py": 3}
    assert gate.grown(counts, baseline) == {}
    assert gate.shrunk(counts, baseline) == {"app/funds/reports_service.py": (5, 2), "app/gone.py": (3, 0)}


def test_the_baseline_holds_no_strict_module() -> None:
    import json

    baseline = json.loads((SCRIPT.parent / "mypy_baseline.json").read_text())
    strict = [p for p in baseline if p.startswith(("app/analytics/", "app/common/")) or p.endswith("/rules.py")]
    assert not strict, f"strict modules must have no mypy errors, not a baseline: {strict}"
