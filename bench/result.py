"""How a bench hands its outcome to bench/run_all.py and to the quick runs in CI: one line on stdout.

`BENCH-RESULT {json}`: the bench's name, its figures as printed text, its target, whether it met it (None in
--quick mode, which asserts no timing) and whether every verification held (the problems otherwise).
"""

from __future__ import annotations

import json

PREFIX = "BENCH-RESULT "


def emit(name: str, figures: dict[str, str], target: str, met: bool | None, problems: list[str]) -> int:
    """Print the result line; the exit status: 1 when a verification failed, or when a full run missed its
    target (a quick run's timing means nothing on a shared CI machine)."""
    print(
        PREFIX
        + json.dumps(
            {
                "bench": name,
                "figures": figures,
                "target": target,
                "met": met,
                "verified": not problems,
                "problems": problems,
            },
            ensure_ascii=False,
        )
    )
    return 0 if not problems and met is not False else 1


def parse(stdout: str) -> dict | None:
    """The result line of a bench's output, or None when it printed none (it crashed first)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX) :])
    return None
