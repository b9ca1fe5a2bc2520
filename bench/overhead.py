"""Per-call overhead: one small call of each layer family against what a torch user would write.

On an ``(1, 8, 8, 4)`` input the kernels take a few microseconds, so the time
per call is mostly what surrounds them: argument checks, padding and layout
planning, module dispatch. Each convlayers layer runs on channels-last data
(its default); its torch counterpart (``nn.Conv2d`` and friends) on
channels-first data, as a torch user would, so those rows include the two
layout views a channels-last layer needs. Rows marked ``channels_first`` give
both the same channels-first tensor. One thread, ``no_grad``, interleaved
rounds, medians.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

import convlayers as cl


@dataclass(frozen=True)
class Pair:
    """A convlayers layer and its torch counterpart, on an input of ``shape`` (channels last)."""

    name: str
    layer: Callable[[], cl.layers.Layer]
    torch_module: Callable[[], nn.Module]
    shape: tuple[int, ...]
    #: Whether the convlayers layer takes the channels-first tensor too (``data_format="channels_first"``).
    same_layout: bool = False


PAIRS = [
    Pair("Conv1D k3 same", lambda: cl.Conv1D(8, 3, padding="same"), lambda: nn.Conv1d(4, 8, 3, padding=1), (1, 8, 4)),
    Pair("Conv2D k3 same", lambda: cl.Conv2D(8, 3, padding="same"), lambda: nn.Conv2d(4, 8, 3, padding=1), (1, 8, 8, 4)),
    Pair("Conv2D k3 same channels_first", lambda: cl.Conv2D(8, 3, padding="same", data_format="channels_first"),
         lambda: nn.Conv2d(4, 8, 3, padding=1), (1, 8, 8, 4), same_layout=True),
    Pair("Conv3D k3 same", lambda: cl.Conv3D(8, 3, padding="same"), lambda: nn.Conv3d(4, 8, 3, padding=1), (1, 8, 8, 8, 4)),
    Pair("DepthwiseConv2D k3", lambda: cl.DepthwiseConv2D(3, padding="same"),
         lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4), (1, 8, 8, 4)),
    Pair("SeparableConv2D k3", lambda: cl.SeparableConv2D(8, 3, padding="same"),
         lambda: nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.Conv2d(4, 8, 1)), (1, 8, 8, 4)),
    Pair("Conv2DTranspose k3 s2", lambda: cl.Conv2DTranspose(8, 3, strides=2),
         lambda: nn.ConvTranspose2d(4, 8, 3, stride=2), (1, 8, 8, 4)),
    Pair("MaxPooling2D 2", lambda: cl.MaxPooling2D(2), lambda: nn.MaxPool2d(2), (1, 8, 8, 4)),
    Pair("AveragePooling2D 2", lambda: cl.AveragePooling2D(2), lambda: nn.AvgPool2d(2), (1, 8, 8, 4)),
    Pair("UpSampling2D 2", lambda: cl.UpSampling2D(2), lambda: nn.Upsample(scale_factor=2), (1, 8, 8, 4)),
    Pair("BatchNormalization", lambda: cl.BatchNormalization(), lambda: nn.BatchNorm2d(4), (1, 8, 8, 4)),
    Pair("Dense 64->64", lambda: cl.Dense(64), lambda: nn.Linear(64, 64), (1, 64)),
]


def _per_call_seconds(call: Callable[[], object], calls: int, sync: Callable[[], None] = lambda: None) -> float:
    sync()
    start = time.perf_counter()
    for _ in range(calls):
        call()
    sync()  # on a GPU: until the last call's kernels are done, so a call costs max(launch, kernel)
    return (time.perf_counter() - start) / calls


def measure(pairs: list[Pair] = PAIRS, rounds: int = 7, calls: int = 300, device: str = "cpu") -> list[dict]:
    """Median microseconds per call of each pair, in eval mode, one thread, on ``device``.

    On a GPU the tiny kernels take less than their launch, so the table shows each
    side's host cost per call (checks, planning, launches; the TF32 guard for
    convlayers' float32 calls), synchronised at the end of each batch of calls.

    >>> row, = measure([PAIRS[7]], rounds=1, calls=2)
    >>> sorted(row), row["convlayers_us"] > 0
    (['convlayers_us', 'name', 'ratio', 'shape', 'torch_us'], True)
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows = []
    try:
        with torch.no_grad():
            for pair in pairs:
                x = torch.randn(pair.shape, generator=torch.Generator().manual_seed(0)).to(device)
                x_torch = x.movedim(-1, 1).contiguous()  # channels first, as torch's modules take it
                layer, module = pair.layer().eval(), pair.torch_module().eval().to(device)
                x_ours = x_torch if pair.same_layout else x
                runs = {"convlayers": lambda: layer(x_ours), "torch": lambda: module(x_torch)}
                for run in runs.values():
                    run()  # build, and oneDNN's primitive for the shape
                samples: dict[str, list[float]] = {name: [] for name in runs}
                for r in range(rounds):
                    order = list(runs) if r % 2 == 0 else list(runs)[::-1]  # neither always goes first
                    for name in order:
                        samples[name].append(_per_call_seconds(runs[name], calls, sync))
                ours, theirs = (statistics.median(samples[n]) * 1e6 for n in ("convlayers", "torch"))
                rows.append({"name": pair.name, "shape": list(pair.shape), "convlayers_us": round(ours, 2),
                             "torch_us": round(theirs, 2), "ratio": round(ours / theirs, 2)})
    finally:
        torch.set_num_threads(threads)
    return rows


def table(rows: list[dict]) -> list[list[str]]:
    """Rows for :func:`bench.report.text` / ``markdown``."""
    out = [["layer", "input (channels last)", "convlayers us", "torch us", "convlayers / torch"]]
    for row in rows:
        out.append([row["name"], "x".join(map(str, row["shape"])), f"{row['convlayers_us']:.1f}",
                    f"{row['torch_us']:.1f}", f"{row['ratio']:.2f}"])
    return out
