"""``python -m bench --fit``: the demo's CNN trained with ``fit``, eager against ``jit_compile=True``, and Keras 3 peers.

For each batch size (``--fit-batches``, 32 and 256 by default) and engine, one process
trains the demo's CNN on the scikit-learn digits (1,437 training images) and reports the
first epoch's time (tracing and compiling included: inductor's on-disk cache is off, so it
is a cold start) and the steady steps per second after ``--fit-warm`` epochs
(:mod:`bench.fit_run`). Engines: convlayers eager, convlayers ``jit_compile=True`` and,
with the peers' interpreter (``--peer-python``, Keras 3 installed there), Keras 3 on JAX
(``jax.jit``) and on TensorFlow (``tf.function``: Keras's ``"auto"`` leaves XLA off on a CPU).

>>> ENGINES[1]
('convlayers jit_compile', 'convlayers', ['--jit'], None)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# (label, engine, extra arguments, KERAS_BACKEND or None for our interpreter)
ENGINES = [
    ("convlayers eager", "convlayers", [], None),
    ("convlayers jit_compile", "convlayers", ["--jit"], None),
    ("keras 3 jax", "keras", [], "jax"),
    ("keras 3 tensorflow", "keras", [], "tensorflow"),
]


def _environment(threads: int, backend: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "OMP_NUM_THREADS": str(threads),
           "TORCHINDUCTOR_FORCE_DISABLE_CACHES": "1"}
    if backend:
        env.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", JAX_PLATFORMS="cpu", TF_NUM_INTRAOP_THREADS=str(threads),
                   XLA_FLAGS=f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}")
    return env


def measure(engine: tuple, batch: int, data: Path, args) -> dict:
    """One engine at one batch size, in its own process: ``fit_run``'s reply, or ``{"skipped": why}``."""
    label, name, extra, backend = engine
    python = args.peer_python if backend else sys.executable
    if backend and not Path(python).exists():
        return {"skipped": f"no peer interpreter at {python}"}
    command = [str(python), "-m", "bench.fit_run", name, "--data", str(data), "--batch", str(batch),
               "--warm", str(args.fit_warm), "--timed", str(args.fit_timed), "--threads", str(args.threads), *extra]
    done = subprocess.run(command, cwd=ROOT, env=_environment(args.threads, backend), capture_output=True, text=True)
    if done.returncode != 0:
        return {"skipped": (done.stderr.strip().splitlines() or ["failed"])[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    """The Markdown table: one row per engine and batch size."""
    rows = ["| engine | batch | first epoch (s) | steps/s after warm-up | ms/step | |", "|---|---:|---:|---:|---:|---|"]
    for batch, by_engine in results.items():
        for label, r in by_engine.items():
            if "skipped" in r:
                rows.append(f"| {label} | {batch} | - | - | - | skipped: {r['skipped']} |")
            else:
                rows.append(f"| {label} | {batch} | {r['first_epoch_s']:.2f} | {r['steps_per_s']:.1f} | "
                            f"{1e3 / r['steps_per_s']:.2f} | {r['info']} |")
    return "\n".join(rows)


def main(args) -> int:
    from convlayers.demo import load_digit_split

    x, y, _, _ = load_digit_split()
    batches = [int(b) for b in args.fit_batches.split(",") if b]
    peers = [] if args.no_peers else [n for n in args.peers.split(",") if n]
    engines = [e for e in ENGINES if e[3] is None or e[3] in peers]
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="convlayers-fit-") as scratch:
        data = Path(scratch) / "digits.npz"
        np.savez(data, x=x, y=y)
        for batch in batches:
            results[batch] = {}
            for engine in engines:
                results[batch][engine[0]] = reply = measure(engine, batch, data, args)
                shown = reply.get("skipped") or f"first epoch {reply['first_epoch_s']:.2f} s, {reply['steps_per_s']:.1f} steps/s"
                print(f"batch {batch:4d}  {engine[0]:24s} {shown}", flush=True)
    text = table(results)
    print()
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"fit-{stamp}.json").write_text(json.dumps({"threads": args.threads, "results": results}, indent=1))
    (out / f"fit-{stamp}.md").write_text(text + "\n")
    print(f"\nsaved {out / f'fit-{stamp}.md'}")
    return 0
