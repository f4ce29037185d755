"""Several replicas behind a real load balancer: `bench/load_run.py --replicas N`.

For n = 1 .. N it starts n `weishi serve` processes (each with --workers workers) behind Debian's HAProxy
(round robin, keep-alive to the replicas), all on one database (through PgBouncer with --via-pgbouncer),
measures first-ballot casting through the balancer, and then checks through it, with the replica that answered
named by HAProxy in a response header: an Idempotency-Key replayed on another replica, the one-time-code rate
limit counted across replicas, one-time-code attempts counted across replicas, and the audit chain verified
after everything they wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx
import load_run as lr

from app.auth.jwt import issue_access_token
from app.core.config import Settings

BALANCER_PORT, FIRST_REPLICA_PORT = 8120, 8121


def ensure_haproxy() -> str:
    """HAProxy from Debian's packages."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "haproxy"],
        check=True,
        capture_output=True,
    )
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


def haproxy_config(ports: list[int]) -> str:
    servers = "\n".join(f"  server r{i + 1} 127.0.0.1:{port}" for i, port in enumerate(ports))
    return f"""global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
frontend weishi
  bind 127.0.0.1:{BALANCER_PORT}
  default_backend replicas
backend replicas
  balance roundrobin
  http-reuse always
  option forwardfor
  http-response set-header X-Replica %s
{servers}
"""


class Balancer:
    """HAProxy in the foreground, in front of `ports`."""

    def __init__(self, ports: list[int]):
        self.folder = Path(tempfile.mkdtemp(prefix="weishi-haproxy-"))
        (self.folder / "haproxy.cfg").write_text(haproxy_config(ports))
        self.process = subprocess.Popen(
            [ensure_haproxy(), "-db", "-f", str(self.folder / "haproxy.cfg")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def close(self) -> None:
        if self.process.poll() is None:
            lr.stop(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


async def supervisor_token(dsn: str, settings: Settings, district: uuid.UUID) -> str:
    """A supervisor of the district with a login session (to verify the audit chain); their access token."""
    user, sid = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO app_user (id, role, username, display_name, region_id, is_active, created_at)"
            " VALUES ($1, 'supervisor', $3, '监督员', $2, true, now())",
            user,
            district,
            f"bench-supervisor-{sid.hex[:8]}",
        )
        await conn.execute("INSERT INTO auth_session (id, user_id, created_at) VALUES ($1, $2, now())", sid, user)
    finally:
        await conn.close()
    return issue_access_token(settings, user_id=user, session_id=sid, role="supervisor")[0]


async def checks(tokens: list[tuple[str, str]], verifier: str) -> list[str]:
    """Idempotency, rate limits, one-time codes and the audit chain, through the balancer."""
    failures, url = [], f"http://127.0.0.1:{BALANCER_PORT}"
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        token, round_id = tokens[-1]  # never cast by the runs (they stop short of the file's end)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{uuid.uuid4()}"}
        path = f"/api/v1/voting/rounds/{round_id}/ballots"
        first = await client.post(path, headers=headers, json={"choices": [3]})
        second = await client.post(path, headers=headers, json={"choices": [3]})
        replayed = second.headers.get("idempotent-replayed") == "true" and second.json() == first.json()
        print(
            f"idempotency: {first.status_code} from {first.headers.get('x-replica')}, then {second.status_code} "
            f"from {second.headers.get('x-replica')}, replayed={replayed}"
        )
        if not (first.status_code == 201 and replayed):
            failures.append("an Idempotency-Key was not honoured across replicas")
        phone, answers = f"139{uuid.uuid4().int % 10**8:08d}", []
        for _ in range(12):
            r = await client.post("/api/v1/auth/otp/request", json={"phone": phone})
            answers.append((r.status_code, r.headers.get("x-replica")))
        statuses = [s for s, _ in answers]
        allowed = statuses.index(429) if 429 in statuses else len(statuses)
        limit = min(
            int(getattr(Settings(), name).split("/")[0]) for name in ("rate_otp_per_phone_ip", "rate_otp_per_phone")
        )
        print(
            f"one-time-code requests for one phone: {allowed} accepted before 429 (limit {limit}), answered by "
            f"{sorted({rep for _, rep in answers})}"
        )
        if allowed != limit:
            failures.append("the one-time-code rate limit did not hold across replicas")
        # Wrong codes for the code just sent, alternating between replicas: the attempts are counted together,
        # so after the limit even the right code would be refused (the code is spent).
        attempts = []
        for _ in range(Settings().otp_max_attempts + 1):
            r = await client.post("/api/v1/auth/otp/verify", json={"phone": phone, "code": "000000"})
            body = r.json()
            attempts.append((body.get("attempts_left", body.get("code")), r.headers.get("x-replica")))
        print(f"wrong one-time codes (attempts left, replica): {attempts}")
        expected = [*range(Settings().otp_max_attempts - 1, -1, -1), "otp_attempts_exhausted"]
        if [left for left, _ in attempts] != expected:
            failures.append("one-time-code attempts were not counted across replicas")
        verified = await client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {verifier}"})
        print(f"audit chain after the runs: {verified.status_code} {verified.text[:200]}")
        if verified.status_code != 200 or not verified.json().get("ok"):
            failures.append("the audit chain does not verify")
    return failures


async def balanced_runs(
    binary: str,
    url: str,
    secret: str,
    tokens_file: str,
    tokens: list[tuple[str, str]],
    district: uuid.UUID,
    admin_url: str,
    args,
) -> list[str]:
    """n = 1 .. args.replicas replicas behind HAProxy: casting through the balancer, then the checks."""
    failures, results = [], []
    settings = Settings(secret_key=secret, environment="production", database_url=url)
    verifier = await supervisor_token(lr._dsn(admin_url), settings, district)
    block = 0.98 / args.replicas  # the file's last voters stay uncast for the idempotency check
    for n in range(1, args.replicas + 1):
        ports = [FIRST_REPLICA_PORT + i for i in range(n)]
        servers = [lr.serve(port, url, secret, args.workers) for port in ports]
        balancer = None
        try:
            for port, process in zip(ports, servers, strict=True):
                await lr.wait_ready(f"http://127.0.0.1:{port}/healthz", process)
            balancer = Balancer(ports)
            await lr.wait_ready(f"http://127.0.0.1:{BALANCER_PORT}/healthz", balancer.process)
            start = (n - 1) * block
            warm, measured = (start, start + block * 0.2), (start + block * 0.2, start + block)
            front = f"http://127.0.0.1:{BALANCER_PORT}"
            lr.wrk(
                binary,
                "warm-up",
                front,
                lr.CAST_LUA,
                lr.voters(tokens_file, *warm),
                lr.WARM_UP_SECONDS,
                args.connections,
            )
            run = lr.wrk(
                binary,
                f"cast, {n} replica(s) via HAProxy",
                front,
                lr.CAST_LUA,
                lr.voters(tokens_file, *measured),
                args.duration,
                args.connections,
            )
            results.append(run)
            if short := lr.out_of_voters(run, len(tokens), *measured):
                failures.append(short)
            if run.errors:
                failures.append(f"errors casting through the balancer with {n} replica(s)")
            if n == args.replicas:
                failures += await checks(tokens, verifier)
        finally:
            if balancer is not None:
                balancer.close()
            for process in servers:
                if process.poll() is None:
                    lr.stop(process)
    lr.table(results)
    return failures


if __name__ == "__main__":
    sys.exit("run through bench/load_run.py --replicas N")
