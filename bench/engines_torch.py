"""The in-process engines: the convlayers layer, and the same computation hand-written in PyTorch.

Each engine turns a :class:`~bench.workloads.Workload` and its arrays into two
zero-argument callables: ``forward`` (no autograd) and ``train`` (forward plus
backward from a dense upstream gradient, producing the gradients of the input,
the kernels and the bias, as a layer inside a network needs). Both return the
channels-last NumPy result (output, input gradient) only when asked to, so
timing never includes a copy back to NumPy.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

import convlayers

from .workloads import Workload

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_LAYERS = {"conv": "Conv{}D", "depthwise": "DepthwiseConv{}D", "separable": "SeparableConv{}D", "transpose": "Conv{}DTranspose"}


@dataclass
class Prepared:
    """An engine ready to run a workload. ``result(train)`` gives the array to validate."""

    forward: Callable[[], object]
    train: Callable[[], object]
    result: Callable[[bool], np.ndarray]


class Unavailable(Exception):
    """The engine cannot run this workload here (the reason is the message)."""


def _same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    span = (k - 1) * d + 1
    total = max(span - (n % s or s), 0)
    return total // 2, total - total // 2


def _leaves(arrays: dict[str, np.ndarray], device: str) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v).to(device) for k, v in arrays.items()}


def _run_train(fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], dy: torch.Tensor) -> Callable[[], torch.Tensor]:
    """A training step of ``fn(*inputs)``: clear the grads, forward, backward from ``dy``."""

    def step() -> torch.Tensor:
        for t in inputs:
            t.grad = None
        fn(*inputs).backward(dy)
        return inputs[0].grad

    return step


# -- convlayers --------------------------------------------------------------------------------
def convlayers_engine(w: Workload, arrays: dict[str, np.ndarray], dtype: str = "float32", device: str = "cpu") -> Prepared:
    """The convlayers layer, Keras semantics, channels-last input, bias, under the dtype policy ``dtype``, on ``device``."""
    cls = getattr(convlayers, _LAYERS[w.kind].format(w.rank), None)
    if cls is None:
        raise Unavailable(f"convlayers.{_LAYERS[w.kind].format(w.rank)} does not exist yet")
    args = dict(padding=w.padding, strides=w.strides, dilation_rate=w.dilation, dtype=dtype)
    if w.kind == "depthwise":
        layer = cls(w.kernel, **args)
    elif w.kind == "transpose":
        args.pop("dilation_rate")
        layer = cls(w.filters, w.kernel, **args)
    else:
        layer = cls(w.filters, w.kernel, groups=w.groups, **args) if w.kind == "conv" else cls(w.filters, w.kernel, **args)
    layer.build(w.input_shape, device=device)
    layer.set_weights([arrays[name] for name in w.weight_shapes()])
    x = torch.from_numpy(arrays["x"]).to(device)
    x_leaf = x.clone().requires_grad_()
    dy = torch.from_numpy(arrays["dy"]).to(device, layer.dtype_policy.compute_torch_dtype)  # backward takes the output's dtype

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return layer(x)

    train = _run_train(lambda x, *params: layer(x), [x_leaf, *layer.parameters()], dy)
    return Prepared(forward, train, lambda grad: (train() if grad else forward()).detach().float().cpu().numpy())


# -- hand-written PyTorch ----------------------------------------------------------------------
def _conv_padding(w: Workload) -> tuple[tuple[int, int], ...]:
    if w.padding == "causal":
        return (((w.kernel - 1) * w.dilation, 0),) * w.rank
    if w.padding == "valid":
        return ((0, 0),) * w.rank
    return tuple(_same_pads(n, w.kernel, w.strides, w.dilation) for n in w.size)


def _torch_function(w: Workload) -> tuple[Callable[..., torch.Tensor], Callable[[dict], list[torch.Tensor]]]:
    """How a PyTorch user writes the workload (channels-first semantics), and its weights."""
    rank, conv = w.rank, _CONV[w.rank]
    pads = _conv_padding(w)
    symmetric = all(b == e for b, e in pads)
    flat = tuple(v for pair in reversed(pads) for v in pair)

    def padded(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        if symmetric:
            return x, tuple(b for b, _ in pads)
        return F.pad(x, flat), (0,) * rank

    def spatial_first(kernel: torch.Tensor) -> torch.Tensor:  # Keras (k, a, b) -> torch (b, a, k)
        return kernel.permute(rank + 1, rank, *range(rank))

    def depthwise_weight(kernel: torch.Tensor) -> torch.Tensor:  # (k, C, 1) -> (C, 1, k)
        return kernel.reshape(kernel.shape[:rank] + (-1,)).permute(rank, *range(rank)).unsqueeze(1)

    if w.kind == "conv":

        def fn(x, kernel, bias):
            x, p = padded(x)
            return conv(x, kernel, bias, stride=w.strides, padding=p, dilation=w.dilation, groups=w.groups)

        return fn, lambda a: [spatial_first(a["kernel"]), a["bias"]]
    if w.kind == "depthwise":

        def fn(x, kernel, bias):
            x, p = padded(x)
            return conv(x, kernel, bias, stride=w.strides, padding=p, dilation=w.dilation, groups=w.channels)

        return fn, lambda a: [depthwise_weight(a["kernel"]), a["bias"]]
    if w.kind == "separable":

        def fn(x, depthwise, pointwise, bias):
            x, p = padded(x)
            h = conv(x, depthwise, None, stride=w.strides, padding=p, dilation=w.dilation, groups=w.channels)
            return conv(h, pointwise, bias)

        return fn, lambda a: [depthwise_weight(a["depthwise_kernel"]), spatial_first(a["pointwise_kernel"]), a["bias"]]

    # transpose, TF's 'same': the natural output o = i * s + t, cropped to [0, n * s).
    def fn(x, kernel, bias):
        y = _CONV_T[rank](x, kernel, bias, stride=w.strides)
        return y[(slice(None), slice(None)) + tuple(slice(0, n) for n in w.output_size)]

    return fn, lambda a: [spatial_first(a["kernel"]), a["bias"]]


def torch_engine(channels_last: bool) -> Callable[[Workload, dict[str, np.ndarray]], Prepared]:
    """Hand-written PyTorch: ``torch.nn.functional`` on NC* tensors, or on channels-last memory."""

    def prepare(w: Workload, arrays: dict[str, np.ndarray], device: str = "cpu") -> Prepared:
        fn, weights = _torch_function(w)
        t = _leaves(arrays, device)
        fmt = {2: torch.channels_last, 3: torch.channels_last_3d}.get(w.rank)

        def layout(v: torch.Tensor) -> torch.Tensor:
            v = v.movedim(-1, 1)  # channels-last arrays viewed channels-first
            if not channels_last:
                return v.contiguous()
            return v.contiguous(memory_format=fmt) if fmt is not None and v.ndim == w.rank + 2 else v

        x, dy = layout(t["x"]), layout(t["dy"])
        params = [p.contiguous(memory_format=fmt) if channels_last and fmt and p.ndim == w.rank + 2 else p.contiguous() for p in weights(t)]
        leaves = [x.detach().clone(memory_format=torch.preserve_format).requires_grad_()] + [p.detach().clone(memory_format=torch.preserve_format).requires_grad_() for p in params]

        def forward() -> torch.Tensor:
            with torch.no_grad():
                return fn(x, *params)

        train = _run_train(fn, leaves, dy)
        return Prepared(forward, train, lambda grad: (train() if grad else forward()).detach().movedim(1, -1).cpu().numpy())

    return prepare


ENGINES: dict[str, Callable[[Workload, dict[str, np.ndarray]], Prepared]] = {
    "convlayers": convlayers_engine,
    "torch_nchw": torch_engine(channels_last=False),
    "torch_cl": torch_engine(channels_last=True),
}


def gemm_gflops(sizes: tuple[int, ...] = (1024, 1536, 2048), rounds: int = 5, device: str = "cpu") -> float:
    """Best GFLOP/s of float32 square matrix products: a measured lower bound of the FP32 peak.

    On a GPU, in full float32 (convlayers' default there), more products per
    round (it is ~100x faster), synchronised before the clock stops.
    """
    best = 0.0
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for size in sizes:
        a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
        out = torch.empty(size, size, device=device)
        calls = max(1, 2 * 1024**3 // size**3) * (50 if device == "cuda" else 1)
        with convlayers.ops.precision.span() if device == "cuda" else contextlib.nullcontext():
            torch.mm(a, b, out=out)
            for _ in range(rounds):
                sync()
                begin = time.perf_counter()
                for _ in range(calls):
                    torch.mm(a, b, out=out)
                sync()
                best = max(best, 2 * size**3 * calls / (time.perf_counter() - begin) / 1e9)
    return best


def warm_up(device: str = "cpu") -> None:
    """Start torch's thread pool and autograd engine (and CUDA's context), so the first workload is not charged for them."""
    x = torch.randn(2, 8, 8, 4, device=device, requires_grad=True)
    convlayers.Conv2D(4, 3)(x).sum().backward()
    if device == "cuda":
        torch.cuda.synchronize()
