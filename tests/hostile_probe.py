"""Load each hostile file of a corpus folder in this process and report the outcome, peak memory and time.

Run as ``python hostile_probe.py FOLDER`` (``test_hostile_files.py`` does, in a child process,
so that a regression that allocates gigabytes fails a test instead of the test run). The
address space is capped at what the imports took plus ``LIMIT`` bytes. Prints one JSON list:
per case, the reason expected, the exception's type and reason, the growth of this process's peak resident memory
over the load (peak reset before each load where Linux allows), and the seconds it took.
"""

import json
import resource
import sys
import time
from pathlib import Path

LIMIT = 2**30
MiB = 2**20


def status(field: str) -> int:
    """A ``/proc/self/status`` memory field, in bytes."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def reset_peak() -> bool:
    """Reset VmHWM (Linux 4.0+ ``clear_refs`` 5); ``False`` where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def main(folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import hostile

    import convlayers
    from convlayers import io

    cases = hostile.write_corpus(folder)
    resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") + LIMIT, resource.RLIM_INFINITY))
    results = []
    for case in cases:
        exact = reset_peak()
        before = status("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        start = time.perf_counter()
        try:
            if case.model is None:
                getattr(io, case.load)(folder / case.file)
            else:
                getattr(io, case.load)(convlayers.Sequential.from_config(case.model), folder / case.file)
            outcome = {"error": None, "reason": None}
        except Exception as error:  # reported, and judged by the test
            outcome = {"error": type(error).__name__, "reason": getattr(error, "reason", str(error))}
        seconds = time.perf_counter() - start
        peak = status("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        results.append({"name": case.name, "expected": case.reason, **outcome, "peak_mib": max(peak - before, 0) / MiB, "seconds": seconds})
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({"cases": results, "rss_mib": status("VmRSS") / MiB, "children_peak_mib": children / MiB}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
