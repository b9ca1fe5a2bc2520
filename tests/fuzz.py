"""``make fuzz``: the property tests of tests/test_properties.py with fresh examples until a time budget is spent.

``make test`` runs those properties on a fixed, derandomized set of examples.
This runs them on new ones, in seeded rounds: in round ``i`` each property runs
in its own pytest process (so a crash inside torch costs one property one
round, not the whole round) with the ``fuzz`` hypothesis profile (conftest.py)
and ``--hypothesis-seed=SEED + i``; ``--jobs`` processes run at a time. A
round replays alone from the seed and examples count it prints:
``FUZZ_EXAMPLES=N pytest tests/test_properties.py::TEST --hypothesis-profile=fuzz
--hypothesis-seed=S``, hypothesis then shrinks any failure to a minimal example
(``falsifying example`` in the output). The examples per round adapt so that rounds
of about ``--round-seconds`` fill ``--seconds``; a round that finds a failure
runs longer (hypothesis shrinks it to a minimal example), and a property that
kills its process is replayed printing every example, to name the one that did.
It prints a line per round, then the examples run per property and every
failure with its falsifying example; each run's full output is kept in
``--log-dir``. Exit status 1 when any round failed.

    python tests/fuzz.py --seconds 600 --seed 1 [--jobs 2] [--round-seconds 120]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROPERTIES = "tests/test_properties.py"
COUNTS = re.compile(r"- during generate phase[^\n]*\n[^\n]*\n\s*- (\d+) passing, (\d+) failing")
# In a failure report: the error, and the falsifying example's arguments (one line each, thanks to Case's repr).
REPORT = re.compile(r"^(?:E\s+|\s*\|\s+)(\w*(?:Error|Exception): .*|\w+=\(?Case.*)$")


def pytest_command(test: str, seed: int, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{PROPERTIES}::{test}",
            "--hypothesis-profile=fuzz", f"--hypothesis-seed={seed}", "--hypothesis-show-statistics",
            "--timeout=0", *extra]


def run(command: list[str], examples: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "FUZZ_EXAMPLES": str(examples)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def property_names() -> list[str]:
    """The hypothesis tests of the module (its parametrized tests replay fixed cases: nothing to fuzz)."""
    listing = run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider", PROPERTIES], 1)
    nodes = [line.split("::")[1] for line in listing.stdout.splitlines() if line.startswith(f"{PROPERTIES}::")]
    return [name for name in nodes if "[" not in name]


def fuzz_property(test: str, seed: int, examples: int, extra: list[str], log_dir: Path) -> tuple[int, list[str]]:
    """One property, one seed: ``(examples run, report lines of its failure or [])``."""
    result = run(pytest_command(test, seed, extra), examples)
    log = log_dir / f"seed-{seed}-{test}.txt"
    log.write_text(result.stdout + result.stderr)
    counts = COUNTS.search(result.stdout)
    runs = int(counts.group(1)) + int(counts.group(2)) if counts else 0
    if result.returncode == 0:
        return runs, []
    if result.returncode < 0:  # killed by a signal inside torch: no report; replay, printing every example
        return name_the_crash(test, seed, examples, extra, log.with_suffix(".crash.txt"))
    found = [m.group(1).strip()[:1000] for m in map(REPORT.match, result.stdout.splitlines()) if m]
    return runs, list(dict.fromkeys(found)) or [f"pytest exited {result.returncode}: see {log}"]


def name_the_crash(test: str, seed: int, examples: int, extra: list[str], log: Path) -> tuple[int, list[str]]:
    """``(examples run, report)``: the example that killed the interpreter is the last one printed before dying."""
    result = run(pytest_command(test, seed, [*extra, "-s", "--hypothesis-verbosity=verbose"]), examples)
    log.write_text(result.stdout + result.stderr)
    lines = result.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Test case:")]
    if result.returncode >= 0 or not starts:
        return 0, [f"killed by signal, but the replay did not die (exit {result.returncode}): see {log}"]
    example = []  # the arguments, then any st.data() draws, up to the interpreter's dying words
    for line in lines[starts[-1] + 1 :]:
        if line.startswith(("Fatal Python error", "Current thread")):
            break
        if line.strip() not in ("", ")"):
            example.append(line.strip())
    return len(starts), [f"CRASH (signal {-result.returncode}) on:", *example]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="time budget; no round starts after it")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first round; round i uses seed + i")
    parser.add_argument("--round-seconds", type=float, default=120, help="aimed length of one round")
    parser.add_argument("--examples", type=int, default=200, help="examples per property unit in the first round")
    parser.add_argument("--jobs", type=int, default=1, help="properties fuzzed at the same time (processes)")
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "convlayers-fuzz")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)

    deadline = time.monotonic() + args.seconds
    tests = property_names()
    totals: dict[str, int] = collections.Counter()
    failures: list[tuple[int, str, list[str]]] = []
    examples, round_index = args.examples, 0
    with ThreadPoolExecutor(args.jobs) as pool:
        while time.monotonic() < deadline - 10:
            seed = args.seed + round_index
            start = time.monotonic()
            results = pool.map(lambda test: fuzz_property(test, seed, examples, args.pytest_args, args.log_dir), tests)
            failing = 0
            for test, (runs, found) in zip(tests, results):
                totals[test] += runs
                if found:
                    failing += 1
                    failures.append((seed, test, found))
            seconds = time.monotonic() - start
            print(f"round {round_index}: seed {seed}, {examples} examples per unit, {seconds:.0f} s, "
                  f"{failing or 'no'} failing properties", flush=True)
            round_index += 1
            # Scale the examples towards the aimed round length, by at most 4x a round either way: start-up
            # (~4 s a process) does not scale, and a round that shrank a failure ran long for other reasons.
            aim = min(args.round_seconds, deadline - time.monotonic())
            examples = max(10, int(examples * min(4.0, max(0.25, aim / seconds))))

    print(f"\nfuzz: {round_index} rounds, seeds {args.seed}..{args.seed + round_index - 1}, "
          f"{sum(totals.values())} examples, {len(failures)} failures (property x seed); logs in {args.log_dir}")
    for test, count in totals.items():
        print(f"  {count:7d}  {test}")
    for seed, test, found in failures:
        print(f"\nseed {seed}: {test}")
        for line in found:
            print(f"    {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
