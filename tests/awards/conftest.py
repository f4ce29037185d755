"""Award runs use the evaluation tests' world: an open programme of 2025 with residents and staff around it."""

from tests.evaluation.conftest import pw, tree  # noqa: F401  (fixtures)
