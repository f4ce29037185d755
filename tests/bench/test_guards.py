"""The benchmarks' own guards: the city seeder never touches a database that is not an empty benchmark
database, and the load run fails when its casts stopped being first ballots."""

import socket
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_URL, _pg_dsn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import load_run
import seed_scale


async def test_the_seeder_refuses_a_database_not_named_for_benchmarks():
    # The name is checked before anything connects: the DSN points nowhere.
    with pytest.raises(SystemExit, match="'weishi' is not a benchmark database"):
        await seed_scale.refuse_unless_bench("postgresql://nobody@127.0.0.1:1/weishi", "weishi")


async def test_the_seeder_refuses_a_benchmark_database_that_holds_data_and_leaves_it_as_it_was(bench_database):
    dsn = _pg_dsn(PG_URL, bench_database)
    await seed_scale.refuse_unless_bench(dsn, bench_database)  # migrated but empty: accepted
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO region (id, level, name, path, created_at, updated_at) "
            "VALUES ($1, 'district', '南山区', $2, now(), now())",
            (rid := uuid.uuid4()),
            f"/{rid.hex}/",
        )
        with pytest.raises(SystemExit, match="is not empty"):
            await seed_scale.refuse_unless_bench(dsn, bench_database)
        assert await conn.fetchval("SELECT count(*) FROM region") == 1
        assert await conn.fetchval("SELECT to_regclass('voter_roll_entry') IS NOT NULL")
        assert await conn.fetchval("SELECT count(*) FROM voter_roll_entry") == 0
    finally:
        await conn.close()


def _casts(requests: int) -> load_run.Result:
    return load_run.Result("cast ballot", rps=1_800.0, p50_ms=35.0, p99_ms=80.0, errors=0, requests=requests)


def test_a_cast_run_within_its_voters_measured_first_ballots_only():
    # 80,000 voters, the slice 0–0.4: 32,000 voters shared between wrk's two threads.
    assert load_run.out_of_voters(_casts(32_000), 80_000, 0, 0.4) is None


def test_a_cast_run_past_its_voters_fails_saying_so():
    problem = load_run.out_of_voters(_casts(32_001), 80_000, 0, 0.4)
    assert problem == (
        "cast ballot ran out of first ballots (32,001 casts for 32,000 voters): raise --voters or shorten --duration"
    )


def test_the_voter_an_odd_slice_leaves_over_is_not_counted():
    # 10,001 voters in the slice: each of two threads takes 5,000, the last voter is never cast for.
    assert load_run.out_of_voters(_casts(10_000), 100_010, 0, 0.1) is None
    assert load_run.out_of_voters(_casts(10_001), 100_010, 0, 0.1) is not None


def test_the_load_run_refuses_a_port_another_server_listens_on():
    # Its servers share ports (SO_REUSEPORT): started beside another run's, they would split its requests.
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(SystemExit, match=f"already listens on 127.0.0.1:{port}"):
            load_run.refuse_busy_ports([port])
    load_run.refuse_busy_ports([port])  # closed again: nothing answers, nothing refused
