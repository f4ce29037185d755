"""What-if allocation: decode and check an uploaded .pb file, then allocate in a child process with a deadline."""

import asyncio
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from app.analytics.pabulib import PabulibElection, PabulibError, PabulibFile, decode, parse, to_election
from app.errors import PayloadTooLarge, ServiceUnavailable, Unprocessable
from app.whatif import compute

log = logging.getLogger("weishi.whatif")

# Bounds on one request's work. A file of MAX_FILE_BYTES parses in about a second; the allocation,
# mes-add1 above all, grows with projects x distinct ballots x rounds, and its number of rounds
# depends on the increment, so no size limit alone bounds it: the child process's deadline does.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_PROJECTS = 200
MAX_VOTES = 200_000
TIME_LIMIT_SECONDS = 30.0
MAX_RUNNING = 2  # allocations at once per worker process; more would only share the same cores
RETRY_AFTER_SECONDS = 10

_running = 0  # the event loop is single-threaded, so a plain counter needs no lock
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def check_choices(rule: str, tie_break: str) -> None:
    """422 unknown_rule / unknown_tie_break before any work is done."""
    if rule not in compute.RULES:
        raise Unprocessable(f"Unknown rule {rule!r}; expected one of {', '.join(compute.RULES)}.",
                            code="unknown_rule", extra={"rules": list(compute.RULES)})
    if tie_break not in compute.TIE_BREAKS:
        raise Unprocessable(f"Unknown tie_break {tie_break!r}; expected one of {', '.join(compute.TIE_BREAKS)}.",
                            code="unknown_tie_break", extra={"tie_breaks": list(compute.TIE_BREAKS)})


def load(data: bytes) -> tuple[PabulibFile, PabulibElection]:
    """Decode, parse and bound the file: 413 pb_file_too_large, 422 pb_invalid (with its line), 422 pb_too_big."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"A .pb file may be at most {MAX_FILE_BYTES} bytes.", code="pb_file_too_large",
                              extra={"limit": MAX_FILE_BYTES})
    try:
        pb = parse(decode(data))
    except PabulibError as exc:
        raise Unprocessable(f"The file is not a valid pabulib file: {exc}", code="pb_invalid",
                            extra={"line": exc.line_number, "message": exc.message}) from None
    for what, found, limit in (("projects", len(pb.projects), MAX_PROJECTS), ("votes", len(pb.votes), MAX_VOTES)):
        if found > limit:
            raise Unprocessable(f"The file has {found} {what}; a what-if run takes at most {limit}.",
                                code="pb_too_big", extra={"what": what, "found": found, "limit": limit})
    return pb, to_election(pb)


def _child_env() -> dict[str, str]:
    # Only what Python needs to find the app: the child never sees the server's secrets or database URL.
    env = {"PYTHONPATH": _PROJECT_ROOT, "PYTHONIOENCODING": "utf-8"}
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    return env


async def _allocate_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run compute.run_job in a child process, killed at the deadline (or when the client goes away)."""
    global _running
    if _running >= MAX_RUNNING:
        raise ServiceUnavailable("Other what-if allocations are running; try again shortly.", code="what_if_busy",
                                 headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                                 extra={"retry_after": RETRY_AFTER_SECONDS})
    _running += 1
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.whatif.compute", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_child_env())
        try:
            out, err = await asyncio.wait_for(proc.communicate(json.dumps(spec).encode()), TIME_LIMIT_SECONDS)
        except TimeoutError:
            raise Unprocessable(
                f"The allocation did not finish within {TIME_LIMIT_SECONDS:g} s and was stopped; use a larger "
                "voter_budget_increment or a smaller instance.", code="what_if_too_costly",
                extra={"time_limit_seconds": TIME_LIMIT_SECONDS}) from None
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
    finally:
        _running -= 1
    if proc.returncode != 0:
        log.error("what-if child exited with %s: %s", proc.returncode, err.decode(errors="replace")[-2000:])
        raise RuntimeError(f"what-if allocation failed (exit status {proc.returncode})")
    return json.loads(out)


async def what_if(data: bytes, rule: str, tie_break: str, voter_budget_increment: str | None) -> dict[str, Any]:
    """The allocation `rule` makes on the uploaded file, with the file's meta; nothing is stored."""
    check_choices(rule, tie_break)
    # Parsing megabytes is CPU work: a thread keeps the event loop answering other requests meanwhile.
    pb, election = await asyncio.to_thread(load, data)
    try:
        increment = compute.increment_units(voter_budget_increment, election.money_scale)
    except ValueError as exc:
        raise Unprocessable(str(exc), code="increment_invalid") from None
    result = await _allocate_in_child(compute.job(election, rule, tie_break, increment))
    return {**result, "voter_budget_increment": increment if rule == "mes-add1" else None,
            "meta": compute.instance_meta(pb, election)}
