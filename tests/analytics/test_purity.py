"""app/analytics stays pure: no web framework, no database layer, nothing from app outside analytics."""

import ast
from pathlib import Path

import pytest

ANALYTICS = Path(__file__).resolve().parents[2] / "app" / "analytics"
FORBIDDEN_ROOTS = {"fastapi", "sqlalchemy", "sqlmodel", "starlette"}


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Imports in `source` that would make an analytics module impure."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:  # `from .. import x` leaves app.analytics
                found.append(f"{filename}:{node.lineno} relative import above app.analytics")
                continue
            names = [] if node.level else [node.module or ""]
        else:
            continue
        for name in names:
            root = name.split(".")[0]
            inside = name == "app.analytics" or name.startswith("app.analytics.")
            if root in FORBIDDEN_ROOTS or (root == "app" and not inside):
                found.append(f"{filename}:{node.lineno} imports {name}")
    return found


def test_analytics_modules_exist():
    assert (ANALYTICS / "allocation.py").is_file()
    assert (ANALYTICS / "pabulib.py").is_file()


@pytest.mark.parametrize("path", sorted(ANALYTICS.glob("*.py")), ids=lambda p: p.name)
def test_module_is_pure(path):
    assert violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import fastapi",
        "from sqlalchemy.orm import Session",
        "import sqlmodel as sm",
        "from starlette.requests import Request",
        "from app.core.db import get_session",
        "import app.core.config",
        "import app",
        "from app.core import db",
        "from .. import db",
        "def f():\n    from app.voting import service\n",
    ],
)
def test_checker_catches_impure_imports(source):
    assert violations(source)


@pytest.mark.parametrize(
    "source",
    ["from app.analytics.allocation import allocate", "import app.analytics", "from . import pabulib", "import json"],
)
def test_checker_allows_pure_imports(source):
    assert violations(source) == []
