"""The architecture as import contracts, read from the source with `ast` (no app import, no database).

Tiers, lowest first; a module may import its own domain and anything in a lower tier (the modules left at the top
of `app/` assemble the app: `main`, `routers`, `models`, `middleware`, `wiring`, `cli`, `pb_cli`):

- **analytics** (`app/analytics`): pure counting and allocation; imports nothing of the app.
- **infrastructure** (`core`: settings, clock, database sessions, errors, serving; `common`, `i18n`): plumbing
  any domain may use; it imports no domain.
- **foundation** (`auth`, `regions`, `audit`): who acts, where, and the record of it. They import no feature
  domain. The cross-cutting services they lean on sit in this tier with them and obey the same rule:
  `idempotency` and `ratelimit` (keyed by the caller, so they read `auth`), the outside channels `sms` and
  `wechat` (WeChat sign-in makes accounts), and `notifications` (the outbox, contacts and inbox: sign-in
  records the phone a message goes to). What the foundation needs of a feature (a campaign's region for an
  API token, a community's roll, a round's reminders, the worker's sweeps) the feature registers with it through
  `auth/hooks.py` and `notifications/hooks.py`, in `app/wiring.py` at startup. `organisations`' pure `rules`
  module may be used here too (an account's organisation has a status; the credit code's check); the rest of
  `organisations` is a feature.
- **features**: every other domain (programmes, funds, proposals, deliberation, voting, notices,
  implementation, evaluation, awards, whatif, board, dashboards, opendata, signs, organisations, privacy, ops,
  demo, health). `privacy` (export and erasure of one person's data) and `ops` (metrics, backup) read across
  the features by nature and sit with them; `dashboards`, `opendata`, `signs` and `board` are read-sides
  over the features.

Across all tiers: routers do not run queries (no SQL constructs imported from SQLAlchemy, no session or
connection calls that reach the database) and nothing imports a router module except the router lists
(`app/routers.py`, each domain's `routers.py`) and `app/main.py`.

KNOWN lists the imports that still break a contract. It may only shrink: an entry that no longer occurs
fails the test too, so whoever fixes one removes it here.
"""

import ast
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
INFRASTRUCTURE = {"core", "common", "i18n"}
FOUNDATION = {"auth", "regions", "audit", "idempotency", "ratelimit", "sms", "wechat", "notifications"}
# Modules of a feature domain the foundation may use: pure rules with no imports of their own domain.
FOUNDATION_MAY_USE = {"app.organisations.rules"}
ROUTER_LISTS = {"app.routers", "app.main"}
# Calls that reach the database; a router hands them to a service.
QUERY_CALLS = {"execute", "scalar", "scalars", "get", "get_one", "stream", "stream_scalars"}
QUERY_RECEIVERS = {"session", "conn", "connection", "db"}
SQL_CONSTRUCTS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists", "literal"}

KNOWN: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(APP.rglob("*.py"))}


def imported(tree: ast.Module) -> set[str]:
    """Every app module a file imports, anywhere in it (functions included); `from a import b` counts a.b
    when b is a module, else a."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _is_module(sub) else node.module)
    return {m for m in found if m == "app" or m.startswith("app.")}


def _is_module(name: str) -> bool:
    path = APP.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def domain(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (APP / parts[1]).is_dir()) else None


def is_router(name: str) -> bool:
    return name.rsplit(".", 1)[-1].endswith(("router", "routers"))


@cache
def edges() -> list[tuple[str, str]]:
    return [(m, i) for m, tree in modules().items() for i in sorted(imported(tree))]


def layer_breaks() -> set[tuple[str, str]]:
    breaks = set()
    for source, target in edges():
        src, dst = domain(source), domain(target)
        if src == dst:
            continue
        if src == "analytics":
            breaks.add((source, target))
        elif dst is None or dst in INFRASTRUCTURE or dst == "analytics":
            continue
        elif src in INFRASTRUCTURE or (
            src in FOUNDATION and dst not in FOUNDATION and target not in FOUNDATION_MAY_USE
        ):
            breaks.add((source, target))
    return breaks


def test_layers_hold() -> None:
    breaks = layer_breaks()
    new = sorted(breaks - KNOWN)
    assert not new, "Imports that run back up the layers (see this module's docstring for the tiers):\n" + "\n".join(
        f"  {s} imports {t}" for s, t in new
    )
    gone = sorted(KNOWN - breaks)
    assert not gone, "Fixed, so take these out of KNOWN:\n" + "\n".join(f"  {s} -> {t}" for s, t in gone)


def test_only_router_lists_import_routers() -> None:
    wrong = sorted((s, t) for s, t in edges() if is_router(t) and not (s in ROUTER_LISTS or s.endswith(".routers")))
    assert not wrong, "Only app/routers.py, a domain's routers.py and app/main.py import a router:\n" + "\n".join(
        f"  {s} imports {t}" for s, t in wrong
    )


def test_routers_run_no_queries() -> None:
    found = []
    for name, tree in modules().items():
        if not is_router(name) or name.endswith(".routers") or name == "app.routers":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
                found += [
                    f"{name}:{node.lineno} imports sqlalchemy.{a.name}" for a in node.names if a.name in SQL_CONSTRUCTS
                ]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in QUERY_RECEIVERS
            ):
                found.append(f"{name}:{node.lineno} calls {node.func.value.id}.{node.func.attr}()")
    assert not found, "Routers hand queries to the domain's service:\n" + "\n".join(f"  {f}" for f in found)


def test_the_contracts_see_the_imports() -> None:
    """The checks above would pass on an empty graph: make sure they read real edges."""
    graph = set(edges())
    assert ("app.routers", "app.voting.routers") in graph
    assert ("app.voting.fast", "app.voting.ballots_service") in graph
    assert ("app.wiring", "app.auth.hooks") in graph
