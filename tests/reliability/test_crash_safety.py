"""Crash safety: the real server, killed with SIGKILL under load, loses nothing it acknowledged.

The test arranges a voting round and a fund source on a fresh PostgreSQL database, starts uvicorn as a
child process, casts ballots and records funds in (each with an Idempotency-Key) from many clients at
once, SIGKILLs the server mid-run, restarts it, and checks the database: every ballot and ledger entry
the client got a 2xx for is there, nothing appears that no client sent, and retrying the requests whose
answers were lost (same key) gives exactly one effect each, also for keys the killed server had claimed.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from app.funds.models import LedgerEntry, LedgerKind
from app.voting.models import Ballot, BallotHistory, VoteMark
from tests.programmes.helpers import API, ok, sources_of
from tests.voting.helpers import create_round, import_roll, resident, roll_csv, shortlist

pytestmark = pytest.mark.postgres_only
VOTERS = 60
FUNDS_IN = 20
KILL_AFTER_ACKS = 25  # kill once this many writes were acknowledged: the rest are queued or in flight


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn with the app, in its own process group, on the test's database."""

    def __init__(self, settings, port: int) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "WEISHI_SECRET_KEY": settings.secret_key,
            "WEISHI_ENVIRONMENT": "test",
            "WEISHI_UPLOAD_DIR": settings.upload_dir,
            "WEISHI_IDEMPOTENCY_LEASE_SECONDS": "3",
            "WEISHI_LOG_LEVEL": "WARNING",
        }
        self.port = port
        self.proc: subprocess.Popen | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603, ASYNC220 (our own interpreter; readiness polled below)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ],
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.url) as c:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, "the server exited while starting"
                with contextlib.suppress(httpx.HTTPError):
                    if (await c.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError("the server did not become ready within 60 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def server(settings):
    s = Server(settings, _free_port())
    yield s
    s.kill()


async def _arrange(client, session, app, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 600_000, 700_000])
    phones = [f"1390000{i:04d}" for i in range(VOTERS)]
    ok(
        await import_roll(
            client, h, pw.tree.community_a1.id, roll_csv([(p, f"居民{i}", "", str(i)) for i, p in enumerate(phones)])
        )
    )
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voters = [await resident(session, app, pw.tree.community_a1, p) for p in phones]
    source = (await sources_of(client, pw.h["district"], pw.world.pilot_a1["id"]))[0]
    writes = [
        ("ballot", v.h, f"{API}/voting/rounds/{rnd['id']}/ballots", {"choices": [1 + i % 3]})
        for i, v in enumerate(voters)
    ]
    writes += [
        (
            "ledger",
            pw.h["district"],
            f"{API}/fund-sources/{source['id']}/funds-in",
            {"amount_fen": 1000 + i, "entry_date": "2025-03-01", "document_ref": f"福民〔2025〕{i}号"},
        )
        for i in range(FUNDS_IN)
    ]
    # Interleave so both kinds are in flight at the kill.
    writes.sort(key=lambda w: hash(w[3].get("document_ref", "")) if w[0] == "ledger" else 0)
    return [(kind, {**headers, "Idempotency-Key": str(uuid.uuid4())}, url, body) for kind, headers, url, body in writes]


async def _send(c, write, acked: dict, lost: list, enough: asyncio.Event) -> None:
    kind, headers, url, body = write
    try:
        r = await c.post(url, headers=headers, json=body)
    except httpx.HTTPError:
        lost.append(write)
        return
    assert r.status_code == 201, r.text
    acked[headers["Idempotency-Key"]] = (kind, r.json())
    if len(acked) >= KILL_AFTER_ACKS:
        enough.set()


async def _retry_until_done(c, write) -> httpx.Response:
    """A client retrying a lost request with its key until it gets an answer (409 while a claim is live)."""
    _kind, headers, url, body = write
    for _ in range(40):
        r = await c.post(url, headers=headers, json=body)
        if r.status_code != 409:
            return r
        assert r.json()["code"] == "idempotency_in_flight"
        await asyncio.sleep(min(int(r.headers["retry-after"]), 4))
    raise AssertionError("the key stayed claimed")


async def _state(app):
    async with app.state.sessionmaker() as s:
        ballots = {b.id: b for b in (await s.scalars(select(Ballot))).all()}
        entries = {
            e.id: e for e in (await s.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.funds_in))).all()
        }
        # Changes of ballot: replaced versions, and voters marked as having cast more than once.
        history = await s.scalar(select(func.count()).select_from(BallotHistory)) + await s.scalar(
            select(func.count()).select_from(VoteMark).where(VoteMark.casts != 1)
        )
    return ballots, entries, history


async def test_sigkill_under_load_loses_nothing_acknowledged(client, session, app, pw, server):
    writes = await _arrange(client, session, app, pw)
    await server.start()
    acked: dict[str, tuple[str, dict]] = {}
    lost: list = []
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as c:
        enough = asyncio.Event()
        everything = asyncio.gather(*(_send(c, w, acked, lost, enough) for w in writes))
        waiter = asyncio.create_task(enough.wait())
        await asyncio.wait({waiter, everything}, return_when=asyncio.FIRST_COMPLETED)
        server.kill()
        await everything
        waiter.cancel()
    acked_ballots = {body["ballot_id"] for kind, body in acked.values() if kind == "ballot"}
    acked_entries = {body["id"] for kind, body in acked.values() if kind == "ledger"}
    assert len(acked) >= KILL_AFTER_ACKS and lost, (len(acked), len(lost))
    print(
        f"\ncrash: {len(acked)} acknowledged ({len(acked_ballots)} ballots, {len(acked_entries)} ledger entries), "
        f"{len(lost)} without an answer at the kill"
    )

    ballots, entries, history = await _state(app)
    # Everything acknowledged survived the kill.
    assert acked_ballots <= {str(i) for i in ballots}
    assert acked_entries <= {str(i) for i in entries}
    # Nothing else: at most the requests that were in flight, one effect each.
    assert len(ballots) - len(acked_ballots) <= sum(1 for w in lost if w[0] == "ballot")
    assert len(entries) - len(acked_entries) <= sum(1 for w in lost if w[0] == "ledger")
    assert history == 0
    print(f"crash: found {len(ballots)} ballots and {len(entries)} ledger entries after the kill")

    await server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        retries = await asyncio.gather(*(_retry_until_done(c, w) for w in lost))
        assert [r.status_code for r in retries] == [201] * len(lost), [r.text for r in retries if r.status_code != 201]
        verify = await c.get(f"{API}/audit/verify", headers=pw.h["admin"])
        assert verify.status_code == 200 and verify.json()["ok"] is True, verify.text
    replayed = sum(1 for r in retries if r.headers.get("idempotent-replayed") == "true")
    print(f"crash: {len(lost)} retried with their keys, {replayed} of them replayed a result committed before the kill")

    ballots, entries, history = await _state(app)
    assert len(ballots) == VOTERS and len(entries) == FUNDS_IN and history == 0
    assert sorted(e.amount_fen for e in entries.values()) == [1000 + i for i in range(FUNDS_IN)]
