"""`make bench`: every bench at full size, one after another, and docs/benchmarks.md written from what they report.

Run: .venv/bin/python bench/run_all.py [--only NAME ...] [--output docs/benchmarks.md] [--admin-dsn DSN]

Each bench runs as its own process (its output streams through) and ends with a BENCH-RESULT line
(bench/result.py). The machine's 1-minute load average is sampled every 2 s while it runs: on a shared machine
another process's work is in the figures, and the file says how much there was. The file lists, per bench, the
date, the commit, the load, the figures, the target and PASS / FAIL, and a bench that printed no result (it
crashed) as CRASHED with the end of its output. The exit status is 1 when any bench failed its target or checks.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from result import parse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Cheapest first, so a broken checkout fails in seconds; load_run last, it holds both cores longest.
BENCHES = (
    "bench_awards",
    "bench_allocation",
    "bench_pabulib",
    "bench_finance_report",
    "bench_close_rounds",
    "bench_audit_migration",
    "load_run",
)


@dataclass
class Run:
    """One bench's run: when, how long, the machine's load meanwhile, and its result line (None if it crashed)."""

    name: str
    started: datetime
    seconds: float = 0.0
    loads: list[float] = field(default_factory=list)
    result: dict | None = None
    tail: str = ""


def _sample_load(loads: list[float], stop: threading.Event) -> None:
    while not stop.wait(2.0):
        loads.append(os.getloadavg()[0])


def run_one(name: str, env: dict[str, str]) -> Run:
    """The bench as a subprocess of this interpreter, its output passed through and kept."""
    run = Run(name, datetime.now(UTC), loads=[os.getloadavg()[0]])
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_load, args=(run.loads, stop), daemon=True)
    sampler.start()
    started = time.perf_counter()
    lines = []
    with subprocess.Popen(
        [sys.executable, str(BENCH / f"{name}.py")],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
    run.seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    output = "".join(lines)
    run.result = parse(output)
    run.tail = without_paths("".join(lines[-15:]))
    return run


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return f"{sha} (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else sha


def _machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return f"{os.cpu_count()} cores ({model}), {memory / 1024:.1f} GB RAM, Python {platform.python_version()}"


def without_paths(text: str) -> str:
    """A crash's output as the file may keep it: no checkout, interpreter or temporary paths of this machine."""
    text = text.replace(str(ROOT) + "/", "").replace(sys.base_prefix, "<python>").replace(sys.prefix, "<venv>")
    return re.sub(r"/tmp/\S+?(?=['\s,])", "<tmp>", text)


def verdict(run: Run) -> str:
    if run.result is None:
        return "CRASHED"
    if not run.result["verified"]:
        return "FAIL (checks)"
    return "PASS" if run.result["met"] else "FAIL (target)"


def markdown(runs: list[Run], commit: str) -> str:
    """docs/benchmarks.md: a summary table, then each bench's figures."""
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run_all.py): every bench at full size, one after another, on the machine "
        "named below. Do not edit by hand; run it again. The load average is the machine's 1-minute figure, "
        "sampled every 2 s during the bench: above the number of cores, other processes shared the machine and "
        "the figures are slower than it can do. CI runs each bench in `--quick` mode for its checks only "
        "(tests/bench/test_quick.py). Measurements of particular changes, before and after, are kept by hand in "
        "[benchmark-history.md](benchmark-history.md).",
        "",
        f"Commit {commit}; {_machine()}.",
        "",
        "| bench | date (UTC) | seconds | load average (mean / max) | target | result |",
        "|---|---|---|---|---|---|",
    ]
    ran = {run.name for run in runs}
    out += [f"| {name} | - | - | - | - | not run in this pass (`--only`) |" for name in BENCHES if name not in ran]
    for run in runs:
        load = f"{sum(run.loads) / len(run.loads):.2f} / {max(run.loads):.2f}"
        target = run.result["target"] if run.result else "-"
        out.append(
            f"| {run.name} | {run.started:%Y-%m-%d %H:%M} | {run.seconds:.0f} | {load} | {target} | {verdict(run)} |"
        )
    for run in runs:
        out += ["", f"## {run.name}", ""]
        if run.result is None:
            out += ["It printed no result. The end of its output:", "", "```", run.tail.rstrip(), "```"]
            continue
        out += [f"- {name}: {value}" for name, value in run.result["figures"].items()]
        out += [f"- check failed: {problem}" for problem in run.result["problems"]]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="run these benches only")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--admin-dsn", help="where the benches create their throwaway databases (BENCH_ADMIN_DSN)")
    args = parser.parse_args()
    env = {**os.environ, **({"BENCH_ADMIN_DSN": args.admin_dsn} if args.admin_dsn else {})}
    commit = _commit()
    runs = [run_one(name, env) for name in (args.only or BENCHES)]
    args.output.write_text(markdown(runs, commit))
    print(f"wrote {args.output}: " + ", ".join(f"{r.name} {verdict(r)}" for r in runs))
    return 0 if all(verdict(r) == "PASS" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
