"""Mixed precision: each workload's convlayers layer under ``mixed_bfloat16`` against the same layer in float32.

The layer keeps float32 weights and computes in bfloat16 (``convlayers.mixed_precision``).
Whether that is faster depends on the CPU: oneDNN runs bfloat16 convolutions natively
with AVX-512-BF16 (``avx512_bf16``) or AMX (``amx_bf16``, ``amx_tile``), and otherwise
converts to float32 around float32 kernels, which is slower than float32 alone. So the
table comes with the units the CPU reports. Same weights and data as the float32 run;
interleaved rounds, medians; the default is a quick look (it runs inside ``make bench``).
"""

from __future__ import annotations

import statistics
from typing import Callable

import numpy as np

from .engines_torch import convlayers_engine
from .report import MODES
from .timing import time_call, turn
from .workloads import Workload

#: The CPU flags (``/proc/cpuinfo``) that decide how bfloat16 convolutions run.
UNITS = ("avx512f", "avx512_bf16", "amx_tile", "amx_bf16")


def cpu_units(cpuinfo: str = "/proc/cpuinfo") -> dict[str, bool]:
    """Which of :data:`UNITS` the CPU reports (all ``False`` where ``cpuinfo`` cannot be read).

    >>> sorted(cpu_units("/nonexistent"))
    ['amx_bf16', 'amx_tile', 'avx512_bf16', 'avx512f']
    """
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    return {unit: unit in flags for unit in UNITS}


def measure(
    workloads: list[Workload],
    seed: int = 0,
    rounds: int = 3,
    calls: int = 2,
    warm: float = 0.0,
    device: str = "cpu",
    time_one: Callable[[Callable[[], object]], float] = time_call,
) -> list[dict]:
    """Per workload: median ms of float32 and ``mixed_bfloat16`` forward and training step, and their ratio.

    ``error`` is the largest difference of the mixed forward output from the float32
    one, relative to the float32 output's largest magnitude (bfloat16 keeps 8 bits).
    On ``device``, each call timed by ``time_one`` (:func:`~bench.timing.timer`); on a
    GPU the float32 side runs in full float32 (convlayers' default) and bfloat16 on
    tensor cores.

    >>> w = Workload("tiny", "conv", batch=1, size=(8, 8), channels=4, filters=4, kernel=3)
    >>> row, = measure([w], rounds=1, calls=1)
    >>> sorted(row), row["error"] < 0.05
    (['error', 'float32_ms', 'mixed_ms', 'name', 'speedup'], True)
    """
    rows = []
    for w in workloads:
        arrays = w.data(seed)
        engines = {"float32": convlayers_engine(w, arrays, device=device),
                   "mixed": convlayers_engine(w, arrays, "mixed_bfloat16", device=device)}
        reference, mixed = engines["float32"].result(False), engines["mixed"].result(False)
        row: dict = {"name": w.name, "float32_ms": {}, "mixed_ms": {}, "speedup": {},
                     "error": float(np.abs(mixed - reference).max() / max(np.abs(reference).max(), 1e-30))}
        for mode in MODES:
            runs: dict[str, Callable[[], object]] = {name: getattr(e, mode) for name, e in engines.items()}
            samples: dict[str, list[float]] = {name: [] for name in runs}
            for r in range(rounds):
                for name in list(runs)[r % 2:] + list(runs)[: r % 2]:  # neither always goes first
                    samples[name] += turn(runs[name], calls, warm, time_one)
            f32, low = (statistics.median(samples[n]) * 1e3 for n in ("float32", "mixed"))
            row["float32_ms"][mode], row["mixed_ms"][mode], row["speedup"][mode] = round(f32, 3), round(low, 3), round(f32 / low, 3)
        rows.append(row)
    return rows


def gpu_units() -> dict[str, str]:
    """The GPU the mixed rows ran on: its name and CUDA compute capability (bfloat16 tensor cores from 8.0)."""
    import torch

    major, minor = torch.cuda.get_device_capability()
    return {"gpu": torch.cuda.get_device_name(), "capability": f"{major}.{minor}"}


def units_line(units: dict) -> str:
    """The CPU's bfloat16-relevant units (or the GPU's name and capability), as the report states them.

    >>> units_line({"avx512f": True, "avx512_bf16": False, "amx_tile": False, "amx_bf16": False})
    'CPU units (/proc/cpuinfo flags): avx512f yes, avx512_bf16 no, amx_tile no, amx_bf16 no'
    >>> units_line({"gpu": "NVIDIA H200", "capability": "9.0"})
    'GPU: NVIDIA H200, compute capability 9.0 (bfloat16 tensor cores from 8.0)'
    """
    if "gpu" in units:
        return f"GPU: {units['gpu']}, compute capability {units['capability']} (bfloat16 tensor cores from 8.0)"
    return "CPU units (/proc/cpuinfo flags): " + ", ".join(f"{u} {'yes' if units.get(u) else 'no'}" for u in UNITS)


def table(rows: list[dict]) -> list[list[str]]:
    """Rows for :func:`bench.report.text` / ``markdown``: ms of each, and float32 / mixed (> 1: mixed is faster)."""
    out = [["workload", "fwd f32 ms", "fwd mixed ms", "fwd speedup", "train f32 ms", "train mixed ms", "train speedup",
            "max rel diff"]]
    for row in rows:
        cells = [row["name"]]
        for mode in MODES:
            cells += [f"{row['float32_ms'][mode]:.2f}", f"{row['mixed_ms'][mode]:.2f}", f"{row['speedup'][mode]:.2f}x"]
        out.append(cells + [f"{row['error']:.0e}"])
    return out
