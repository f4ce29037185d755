"""Every bench in its --quick mode, as a newcomer would run it: each must do all of its verifications and pass
them (timing is judged only at full size, by `make bench`). A bench whose checks fail, or that crashes because
the service changed under it, fails here."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_URL, _pg_dsn

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
from result import parse  # noqa: E402

DB_BENCHES = ("bench_close_rounds", "bench_finance_report", "bench_audit_migration")


def run_bench(name: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """The bench as a subprocess of this interpreter, creating its throwaway databases next to the tests'."""
    env = {**os.environ, **({"BENCH_ADMIN_DSN": _pg_dsn(PG_URL)} if PG_URL else {})}
    return subprocess.run(  # noqa: S603 (our benches)
        [sys.executable, str(BENCH / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=BENCH.parent,
    )


@pytest.mark.parametrize(
    "name",
    [
        "bench_close_rounds",
        "bench_finance_report",
        "bench_audit_migration",
        "bench_awards",
        "bench_allocation",
        "bench_pabulib",
        "profile_casts",
        "load_run",
    ],
)
def test_the_bench_verifies_everything_in_quick_mode(name, pg_template):
    done = run_bench(name, "--quick")
    result = parse(done.stdout)
    assert result is not None, f"{name} printed no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert result["verified"], result["problems"]
    assert result["met"] is None  # no timing verdict in quick mode
    assert done.returncode == 0, done.stdout[-3000:]


def _main_of(name: str, monkeypatch, *args: str):
    """The bench's main() in this process with these arguments (its imports are the slow part of a subprocess)."""
    module = importlib.import_module(name)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *args])
    return module.main()


@pytest.mark.parametrize("name", DB_BENCHES)
async def test_a_database_not_named_for_benchmarks_is_refused_before_anything_connects(name, monkeypatch):
    # Nothing listens on port 1: the refusal comes from the name alone.
    with pytest.raises(SystemExit, match="refusing: the database 'weishi' is not a benchmark database"):
        await _main_of(
            name, monkeypatch, "--quick", "--database-url", "postgresql+asyncpg://postgres@127.0.0.1:1/weishi"
        )


@pytest.mark.parametrize("name", DB_BENCHES)
async def test_a_benchmark_database_holding_tables_is_refused_and_left_as_it_was(name, bench_database, monkeypatch):
    dsn = _pg_dsn(PG_URL, bench_database)
    conn = await asyncpg.connect(dsn)
    try:
        before = await conn.fetchval("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        with pytest.raises(SystemExit, match=f"refusing to run: the database has {before} tables"):
            await _main_of(name, monkeypatch, "--quick", "--database-url", dsn)
        after = await conn.fetchval("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        assert after == before and await conn.fetchval("SELECT count(*) FROM region") == 0
    finally:
        await conn.close()
