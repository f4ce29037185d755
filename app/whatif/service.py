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
from app.core.errors import PayloadTooLarge, ServiceUnavailable, Unprocessable
from app.whatif import compute, rules

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


ALL_RULES = compute.RULES + rules.FILE_RULES


def refused(exc: rules.AllocationRefused) -> Unprocessable:
    """A refusal of the rules as a 422 problem: Chinese detail, the English message and specifics alongside."""
    return Unprocessable(exc.detail_zh, code=exc.code, extra={"message": exc.message, **exc.extra})


def check_choices(rule: str, tie_break: str) -> None:
    """422 unknown_rule / unknown_tie_break before any work is done."""
    if rule not in ALL_RULES:
        raise Unprocessable(
            f"Unknown rule {rule!r}; expected one of {', '.join(ALL_RULES)}.",
            code="unknown_rule",
            extra={"rules": list(ALL_RULES)},
        )
    if tie_break not in compute.TIE_BREAKS:
        raise Unprocessable(
            f"Unknown tie_break {tie_break!r}; expected one of {', '.join(compute.TIE_BREAKS)}.",
            code="unknown_tie_break",
            extra={"tie_breaks": list(compute.TIE_BREAKS)},
        )


def load(data: bytes) -> tuple[PabulibFile, PabulibElection]:
    """Decode, parse and bound the file: 413 pb_file_too_large, 422 pb_invalid (with its line), 422 pb_too_big."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"A .pb file may be at most {MAX_FILE_BYTES} bytes.",
            code="pb_file_too_large",
            extra={"limit": MAX_FILE_BYTES},
        )
    try:
        pb = parse(decode(data))
    except PabulibError as exc:
        raise Unprocessable(
            f"The file is not a valid pabulib file: {exc}",
            code="pb_invalid",
            extra={"line": exc.line_number, "message": exc.message},
        ) from None
    for what, found, limit in (("projects", len(pb.projects), MAX_PROJECTS), ("votes", len(pb.votes), MAX_VOTES)):
        if found > limit:
            raise Unprocessable(
                f"The file has {found} {what}; a what-if run takes at most {limit}.",
                code="pb_too_big",
                extra={"what": what, "found": found, "limit": limit},
            )
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
        raise ServiceUnavailable(
            "Other what-if allocations are running; try again shortly.",
            code="what_if_busy",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra={"retry_after": RETRY_AFTER_SECONDS},
        )
    _running += 1
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.whatif.compute",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_child_env(),
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(json.dumps(spec).encode()), TIME_LIMIT_SECONDS)
        except TimeoutError:
            raise Unprocessable(
                f"The allocation did not finish within {TIME_LIMIT_SECONDS:g} s and was stopped; use a larger "
                "voter_budget_increment or a smaller instance.",
                code="what_if_too_costly",
                extra={"time_limit_seconds": TIME_LIMIT_SECONDS},
            ) from None
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


def _check_parameters(rule: str, tie_break: str, options: dict[str, str | None]) -> None:
    """422 rule_parameter_invalid for a parameter the rule does not take."""
    given = [k for k, v in options.items() if v not in (None, "")]
    if rule in rules.FILE_RULES and tie_break != "default":
        given.insert(0, "tie_break")
    if rule in compute.RULES:
        given = [k for k in given if not (k == "voter_budget_increment" and rule == "mes-add1")]
    else:
        given = [k for k in given if k == "tie_break"]
    if given:
        raise refused(
            rules.AllocationRefused(
                "rule_parameter_invalid", f"rule {rule} takes no parameter {given[0]!r}", parameter=given[0]
            )
        )


async def _file_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    result = await _allocate_in_child(spec)
    if "refused" in result:
        no = result["refused"]
        raise Unprocessable(no["detail_zh"], code=no["code"], extra={"message": no["message"], **no["extra"]})
    return result


async def what_if(
    data: bytes,
    rule: str,
    tie_break: str,
    voter_budget_increment: str | None,
    options: dict[str, str | None] | None = None,
    audit: bool = False,
) -> dict[str, Any]:
    """The allocation `rule` makes on the uploaded file, with the file's meta; nothing is stored.

    `options` are equal-shares parameters (completion, integral, comparison, tie_breaking, accuracy), taken only
    by the rules that read the whole file (equalshares, official). `audit` adds the fairness audit of
    the outcome and, side by side, of the other rules' outcomes on the same ballots.
    """
    check_choices(rule, tie_break)
    options = {**(options or {}), "voter_budget_increment": voter_budget_increment}
    _check_parameters(rule, tie_break, options)
    # Parsing megabytes is CPU work: a thread keeps the event loop answering other requests meanwhile.
    pb, election = await asyncio.to_thread(load, data)
    if rule not in rules.FILE_RULES and pb.vote_type not in rules.APPROVAL_VOTE_TYPES:
        raise refused(
            rules.AllocationRefused(
                "pb_ballots_unreadable",
                f"rule {rule} reads approval ballots only; this file's vote_type is "
                f"{pb.vote_type!r} (rule official counts it the file's way)",
                vote_type=pb.vote_type,
            )
        )
    if audit and pb.vote_type not in rules.APPROVAL_VOTE_TYPES:
        raise refused(
            rules.AllocationRefused(
                "pb_ballots_unreadable",
                f"the fairness audit reads approval ballots; this file's vote_type is {pb.vote_type!r}",
                vote_type=pb.vote_type,
            )
        )
    if rule in rules.FILE_RULES:
        try:
            rules.check(pb, rule, rules.overrides(rule, options))
        except rules.AllocationRefused as exc:
            raise refused(exc) from None
        result = await _file_in_child(compute.file_job(decode(data), rule, options, audit=audit))
        return {**result, "voter_budget_increment": None, "meta": compute.instance_meta(pb, election)}
    try:
        increment = compute.increment_units(voter_budget_increment, election.money_scale)
    except ValueError as exc:
        raise Unprocessable(str(exc), code="increment_invalid") from None
    if audit:
        result = await _file_in_child(
            compute.file_job(decode(data), rule, {}, tie_break=tie_break, increment=increment, audit=True)
        )
    else:
        result = await _allocate_in_child(compute.job(election, rule, tie_break, increment, pb.meta.get("currency")))
    return {
        **result,
        "voter_budget_increment": increment if rule == "mes-add1" else None,
        "meta": compute.instance_meta(pb, election),
    }
