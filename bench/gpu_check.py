"""The GPU check, in one go (about 8 minutes): ``python -m bench.gpu_check`` on a machine with a CUDA device.

1. The CUDA tests (``tests/test_cuda.py``, the precision and bench tests) under pytest.
2. Keras parity on CUDA (1e-4, as the CPU tests): cases missed with TF32 at its
   default (off: expect none) and with ``convlayers.config.enable_tf32()``.
3. ``python -m bench --device cuda --batch 64 --no-peers`` with a short budget.

Everything goes to ``$OUT`` when it is set (else ``bench/results/gpu-check``):
``pytest.log``, ``parity.json``, ``bench.log`` and the bench's own JSON and
Markdown, and ``summary.json`` with each step's outcome. Exits 2 without a CUDA
device, 1 when a step failed, 0 otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Seconds per step; together well under ten minutes.
LIMITS = {"pytest": 200, "parity": 120, "bench": 240}


def _env() -> dict[str, str]:
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def _run(name: str, argv: list[str], out: Path) -> dict:
    """Run ``argv`` with its output in ``out/<name>.log``; its exit code, seconds and last lines."""
    begin = time.monotonic()
    log = out / f"{name}.log"
    try:
        done = subprocess.run(argv, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=LIMITS[name])
        code, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as timeout:
        code = "timeout"
        text = (timeout.stdout or b"").decode(errors="replace") + (timeout.stderr or b"").decode(errors="replace")
    log.write_text(text)
    result = {"exit": code, "seconds": round(time.monotonic() - begin, 1), "tail": text.strip().splitlines()[-12:]}
    print(f"== {name}: exit {code} in {result['seconds']} s", *result["tail"], sep="\n", flush=True)
    return result


_PARITY = """
import json, sys
sys.path.insert(0, "tests")
import conftest, test_cuda
from convlayers import config

report = {}
for label, tf32 in (("tf32_default", False), ("tf32_enabled", True)):
    with config.tf32(tf32):
        count, misses = test_cuda.parity_misses("cuda")
    report[label] = {"cases": count, "missed_1e-4": len(misses),
                     "worst": sorted(misses, key=lambda m: -m[1])[:10]}
print(json.dumps(report))
"""


def main() -> int:
    """Run the three steps; see the module docstring."""
    import torch

    if not torch.cuda.is_available():
        print("bench.gpu_check: needs a CUDA device, and torch sees none.", file=sys.stderr)
        return 2
    out = Path(os.environ.get("OUT") or ROOT / "bench" / "results" / "gpu-check")
    out.mkdir(parents=True, exist_ok=True)
    summary = {"gpu": torch.cuda.get_device_name(), "capability": list(torch.cuda.get_device_capability()),
               "torch": torch.__version__, "cudnn": torch.backends.cudnn.version()}
    print(json.dumps(summary), flush=True)
    tests = ["tests/test_cuda.py", "tests/test_precision.py", "tests/test_cuda_plan.py", "tests/test_bench_cuda.py"]
    summary["pytest"] = _run("pytest", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *tests], out)
    summary["parity"] = _run("parity", [sys.executable, "-c", _PARITY], out)
    if summary["parity"]["exit"] == 0:
        parity = json.loads(summary["parity"]["tail"][-1])
        (out / "parity.json").write_text(json.dumps(parity, indent=1))
        summary["parity"]["counts"] = {k: f"{v['missed_1e-4']} of {v['cases']}" for k, v in parity.items()}
    bench = [sys.executable, "-m", "bench", "--device", "cuda", "--batch", "64", "--no-peers", "--rounds", "3",
             "--calls", "3", "--warm", "0.05", "--budget", "1", "--quiet-wait", "0", "--out", str(out / "bench")]
    summary["bench"] = _run("bench", bench, out)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k].get("counts", summary[k]["exit"]) for k in ("pytest", "parity", "bench")}))
    return 0 if all(summary[k]["exit"] == 0 for k in ("pytest", "parity", "bench")) else 1


if __name__ == "__main__":
    sys.exit(main())
