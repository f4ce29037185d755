"""Benchmark: every rule on every pabulib file given, ours against pabutools on the same machine.

Run: .venv/bin/python bench/bench_pabulib.py [FILE.pb ...] [--repeat N] [--skip-pabutools] [--quick]
Default files: ../shared/pabulib/*.pb beside the checkout and a generated 150,000-voter file
(bench_allocation's seeded election, written once to the temp dir, never committed; pabutools is not
run on it: its add1 rules would take hours). Per file, a "read" line times reading it (parse and
`to_election`, as `weishi pb allocate` does); then one line per (file, rule): our
seconds for the outcome (`explain=False`: the allocation alone, as pabutools computes it), what the
per-project explanations add on top (the API and CLI always build them: "+explain s", the whole
result's time minus the outcome's), pabutools' seconds for its counterpart, the ratio (outcome against
pabutools), and whether the winners are the same; every figure is the best of --repeat runs (more, up
to 0.5 s, for a rule that takes milliseconds). `official` always explains (its figure is the whole result).
pabutools counterparts, all with Cost_Sat: greedy = greedy_utilitarian_welfare, mes = method_of_equal_shares,
mes-add1 = MES(voter_budget_increment=1) + greedy completion (lexico ties: same winners, in order);
equalshares(none, tie=...) = method_of_equal_shares (winners compared as sets, the tie rules differ);
equalshares add1 / add1e = MES(voter_budget_increment) and add1u / add1eu the same + greedy completion:
the same work (equal shares rerun for every raise) but not the same rule (the tool's add1 stops at the
budget, not at exhaustiveness), so these compare time only ("timing only"). `official` has no
counterpart. Every equal-shares variant under 10× is flagged "< 10×", and every rule whose outcome
plus reading the file takes over 5 s "> 5 s" (exact arithmetic throughout). --quick (CI): the smallest
given file only, every verification (same winners as pabutools, no unsettled tie), no timing verdict.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from result import emit

from app.analytics.allocation import allocate
from app.analytics.ballot_scores import UnreadableBallots, approvals
from app.analytics.equalshares_net import TieError, equalshares
from app.analytics.equalshares_params import EqualSharesParams
from app.analytics.official import OFFICIAL_RULES, official
from app.analytics.pabulib import decode, parse, to_election

SHARED = Path(__file__).resolve().parents[2] / "shared" / "pabulib"
VARIANTS = ("none", "add1", "add1e", "add1u", "add1eu")
GENERATED_VOTERS, GENERATED_SEED = 150_000, 20240601
LIMIT = 5.0  # seconds for any rule on a file, reading it included


def generated_file() -> Path:
    """bench_allocation's seeded 150,000-voter, 100-project election as a .pb in the temp dir, made once."""
    from bench_allocation import as_pabulib, make_instance

    path = Path(tempfile.gettempdir()) / f"weishi_bench_{GENERATED_VOTERS}_voters_seed{GENERATED_SEED}.pb"
    if not path.exists():
        instance, ballots = make_instance(GENERATED_SEED, GENERATED_VOTERS, 100)
        part = path.with_suffix(f".{os.getpid()}.part")  # another bench writing the same file never sees half
        part.write_text(as_pabulib(instance, ballots, GENERATED_SEED), encoding="utf-8")
        part.replace(path)
    return path


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best of at least `repeat` runs; a fast rule runs again until 0.5 s or 50 runs are spent, so a
    millisecond's figure is not one run's luck on a shared machine (the same for ours and pabutools')."""
    best, out, runs, spent = float("inf"), None, 0, 0.0
    while runs < repeat or (spent < 0.5 and runs < 50):
        start = time.perf_counter()
        out = fn()
        took = time.perf_counter() - start
        best, runs, spent = min(best, took), runs + 1, spent + took
    return best, out


def _pabutools(path: Path, increment: int) -> dict[str, Callable[[], list[str]]]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

    instance, profile = parse_pabulib(str(path))

    def names(outcome) -> list[str]:
        return [p.name for p in outcome]

    def add1(complete: bool) -> list[str]:
        if not complete:
            return names(
                method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=increment)
            )
        return names(
            completion_by_rule_combination(
                instance,
                profile,
                [method_of_equal_shares, greedy_utilitarian_welfare],
                [{"sat_class": Cost_Sat, "voter_budget_increment": increment}, {"sat_class": Cost_Sat}],
            )
        )

    return {
        "greedy": lambda: names(greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)),
        "mes": lambda: names(method_of_equal_shares(instance, profile, sat_class=Cost_Sat)),
        "mes-add1": lambda: add1(True),
        "mes-increment": lambda: add1(False),
    }


# Our rule -> (pabutools counterpart, how the winners compare: "order", "set" or "time" for timing only).
def _counterpart(name: str) -> tuple[str, str] | None:
    if name in ("greedy", "mes", "mes-add1"):
        return name, "order"
    if name.startswith("equalshares(none,"):
        return "mes", "set"
    if name.startswith(("equalshares(add1u,", "equalshares(add1eu,")):
        return "mes-add1", "time"
    if name.startswith(("equalshares(add1,", "equalshares(add1e,")):
        return "mes-increment", "time"
    return None


Row = tuple[str, float, float | None, float | None, str]  # rule, ours s, +explain s, pabutools s, note


def read(path: Path, repeat: int) -> float:
    """Seconds to read the file into an election (best of `repeat`), as `weishi pb allocate` does first."""
    return _time(lambda: to_election(parse(decode(path.read_bytes()))), repeat)[0]


def rows(path: Path, repeat: int, with_pabutools: bool) -> list[Row]:
    pb = parse(decode(path.read_bytes()))
    election = to_election(pb)
    # Each rule as a function of `explain`: False times the outcome alone, True the whole result.
    ours: dict[str, Callable[[bool], list[str]]] = {
        rule: (
            lambda explain, rule=rule: list(
                allocate(
                    election.instance,
                    election.ballots,
                    rule,
                    "lexico",
                    voter_budget_increment=election.money_scale,
                    explain=explain,
                ).selected
            )
        )
        for rule in ("greedy", "mes", "mes-add1")
    }
    try:
        ballots = approvals(pb, "equalshares")
        for completion in VARIANTS:
            params = EqualSharesParams(completion=completion)
            ours[params.name()] = lambda explain, params=params: list(
                equalshares(election.instance, ballots, params, election.money_scale, explain=explain).selected
            )
    except UnreadableBallots:
        pass  # equal shares reads approval ballots only
    if pb.meta.get("rule") in OFFICIAL_RULES:
        ours[f"official:{pb.meta['rule']}"] = lambda explain: list(official(pb, election, explain=explain).selected)
    theirs = _pabutools(path, 1) if with_pabutools else {}  # pabutools counts in the file's currency
    timed: dict[str, tuple[float, object]] = {}  # each pabutools counterpart runs once per file
    out: list[Row] = []
    for name, fn in ours.items():
        try:
            seconds, selected = _time(lambda fn=fn: fn(False), repeat)
            whole, explained = _time(lambda fn=fn: fn(True), repeat)
            assert explained == selected, f"{name}: explaining changed the winners"
            extra = max(whole - seconds, 0.0)
        except TieError as exc:
            out.append((name, float("nan"), None, None, f"tie: {exc}"))
            continue
        pair = _counterpart(name)
        if pair and pair[0] in theirs:
            counterpart, how = pair
            if counterpart not in timed:
                timed[counterpart] = _time(theirs[counterpart], repeat)
            their_seconds, their_selected = timed[counterpart]
            if how == "time":
                note = f"timing only (pabutools {counterpart})"
            else:
                same = selected == their_selected if how == "order" else set(selected) == set(their_selected)
                note = "same winners" if same else "DIFFERENT winners"
            out.append((name, seconds, extra, their_seconds, note))
        else:
            out.append((name, seconds, extra, None, ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="best of at least N runs, ours and pabutools'")
    parser.add_argument("--skip-pabutools", action="store_true")
    parser.add_argument("--quick", action="store_true", help="CI: the smallest file, every check, no timing verdict")
    args = parser.parse_args()
    files = args.files or sorted(SHARED.glob("*.pb"))
    if args.quick:
        files = [min(files, key=lambda p: p.stat().st_size)]
    elif not args.files:
        files.append(generated_file())
    print(
        f"{'file':<42} {'voters':>7} {'rule':<44} {'ours s':>8} {'+explain s':>10} {'pabutools s':>11} {'ratio':>7}"
        "  winners"
    )
    figures: dict[str, str] = {}
    problems: list[str] = []
    slow: list[str] = []
    over: list[str] = []
    for path in files:
        pb = parse(decode(path.read_bytes()))
        reading = read(path, args.repeat)
        print(f"{path.stem[:42]:<42} {len(pb.votes):>7} {'read (parse, to_election)':<44} {reading:8.4f}")
        figures[f"{path.stem} read"] = f"{reading:.4f} s"
        with_pabutools = not args.skip_pabutools and not path.stem.startswith(f"weishi_bench_{GENERATED_VOTERS}_")
        for name, ours, extra, theirs, note in rows(path, args.repeat, with_pabutools):
            ratio = f"{theirs / ours:7.1f}" if theirs is not None and ours > 0 else "      -"
            their_text = f"{theirs:11.4f}" if theirs is not None else "          -"
            under = theirs is not None and name != "greedy" and ours > 0 and theirs / ours < 10
            late = reading + ours > LIMIT
            flag = ("  < 10×" if under else "") + (f"  > {LIMIT:.0f} s with reading" if late else "")
            extra_text = f"{extra:10.4f}" if extra is not None else "         -"
            print(
                f"{path.stem[:42]:<42} {len(pb.votes):>7} {name:<44} {ours:8.4f} {extra_text} {their_text} {ratio}"
                f"  {note}{flag}"
            )
            figures[f"{path.stem} {name}"] = (
                f"{ours:.4f} s"
                + (f" (+{extra:.4f} s explaining)" if extra is not None else "")
                + (f", pabutools {theirs:.4f} s, {theirs / ours:.1f}×" if theirs is not None and ours > 0 else "")
            )
            if note.startswith(("DIFFERENT", "tie")):
                problems.append(f"{path.stem} {name}: {note}")
            elif under:
                slow.append(f"{path.stem} {name}")
            if late:
                over.append(f"{path.stem} {name}")
    if slow:
        print("under 10× pabutools: " + ", ".join(slow))
    if over:
        print(f"over {LIMIT:.0f} s with reading: " + ", ".join(over))
    return emit(
        "bench_pabulib",
        figures,
        "every equal-shares variant ≥ 10× faster than pabutools' counterpart, same winners where the rule is the "
        f"same; every rule under {LIMIT:.0f} s with reading the file",
        None if args.quick or args.skip_pabutools else not slow and not over,
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
