"""mypy over app/ against a baseline that only shrinks (make lint).

The strict modules (pyproject's [[tool.mypy.overrides]]: app/analytics, every rules.py, app/common) have no
entry in the baseline, so any error there fails. Elsewhere a module fails when it has more errors than the
baseline records; `--update` rewrites the baseline after a fix and refuses to let any count grow.

    python scripts/mypy_gate.py            # check
    python scripts/mypy_gate.py --update   # record fewer errors after fixing some
"""

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scripts" / "mypy_baseline.json"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


def count_errors(output: str) -> Counter[str]:
    """Errors per file in mypy's output."""
    return Counter(m["path"] for line in output.splitlines() if (m := ERROR.match(line)))


def grown(counts: Counter[str], baseline: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Files with more errors than the baseline allows: path -> (allowed, found)."""
    return {path: (baseline.get(path, 0), n) for path, n in sorted(counts.items()) if n > baseline.get(path, 0)}


def shrunk(counts: Counter[str], baseline: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Files with fewer errors than the baseline records: path -> (recorded, found)."""
    return {path: (n, counts.get(path, 0)) for path, n in sorted(baseline.items()) if counts.get(path, 0) < n}


def run_mypy() -> str:
    done = subprocess.run([sys.executable, "-m", "mypy", "app"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1) or ("error: " not in done.stdout and done.returncode):
        sys.exit(f"mypy did not run:\n{done.stdout}{done.stderr}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record the current (smaller) counts")
    args = parser.parse_args()
    started = time.monotonic()
    output = run_mypy()
    took = time.monotonic() - started
    counts = count_errors(output)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    # The first baseline is taken as found; after that a count may only fall.
    worse = grown(counts, baseline) if BASELINE.exists() or not args.update else {}
    if worse:
        print(
            "".join(line + "\n" for line in output.splitlines() if (m := ERROR.match(line)) and m["path"] in worse),
            end="",
        )
        print("\nmypy: more errors than scripts/mypy_baseline.json allows:")
        for path, (allowed, found) in worse.items():
            print(f"  {path}: {found} (baseline {allowed})")
        return 1
    better = shrunk(counts, baseline)
    if args.update:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"mypy: baseline now {sum(counts.values())} errors in {len(counts)} files")
    elif better:
        print("mypy: fewer errors than the baseline; record them with `python scripts/mypy_gate.py --update`:")
        for path, (recorded, found) in better.items():
            print(f"  {path}: {found} (baseline {recorded})")
    print(f"mypy: {sum(counts.values())} errors in {len(counts)} baseline files, none new ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
