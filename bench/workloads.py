"""The benchmark workloads: shapes, Keras arguments, FLOP counts and seeded data.

Pure Python and NumPy (no torch), so the peer processes (TensorFlow, JAX) read
the same definitions. Every engine gets the same arrays, in Keras layout:
the input channels-last, kernels as Keras stores them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    """One layer call: a Keras layer's arguments and its input shape (channels last).

    ``kind`` is ``conv``, ``depthwise``, ``separable`` or ``transpose``; ``padding``
    is a Keras mode (``valid``, ``same``, ``causal``).

    >>> W = Workload("w", "conv", batch=1, size=(8, 8), channels=2, filters=4, kernel=3, padding="same")
    >>> W.rank, W.output_size, W.flops
    (2, (8, 8), 9216)
    """

    name: str
    kind: str
    batch: int
    size: tuple[int, ...]
    channels: int
    filters: int
    kernel: int
    strides: int = 1
    padding: str = "same"
    dilation: int = 1
    groups: int = 1

    @property
    def rank(self) -> int:
        return len(self.size)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.batch, *self.size, self.channels)

    @property
    def output_size(self) -> tuple[int, ...]:
        if self.kind == "transpose":
            return tuple(n * self.strides for n in self.size)  # 'same'
        span = (self.kernel - 1) * self.dilation + 1
        if self.padding == "valid":
            return tuple((n - span) // self.strides + 1 for n in self.size)
        return tuple(-(-n // self.strides) for n in self.size)  # 'same', 'causal'

    @property
    def taps(self) -> int:
        return self.kernel**self.rank

    @property
    def flops(self) -> int:
        """Multiply-adds x 2 of the forward pass (zero padding counted as work, as peers do)."""
        out = self.batch * math.prod(self.output_size)
        if self.kind == "depthwise":
            return 2 * out * self.channels * self.taps
        if self.kind == "separable":
            return 2 * out * self.channels * (self.taps + self.filters)
        if self.kind == "transpose":
            return 2 * self.batch * math.prod(self.size) * self.channels * self.filters * self.taps
        return 2 * out * self.filters * (self.channels // self.groups) * self.taps

    @property
    def train_flops(self) -> int:
        """Forward, input gradient and weight gradient: three passes of the same size."""
        return 3 * self.flops

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Keras weight names and shapes, in Keras's order."""
        k = (self.kernel,) * self.rank
        if self.kind == "depthwise":
            return {"kernel": k + (self.channels, 1), "bias": (self.channels,)}
        if self.kind == "separable":
            return {
                "depthwise_kernel": k + (self.channels, 1),
                "pointwise_kernel": (1,) * self.rank + (self.channels, self.filters),
                "bias": (self.filters,),
            }
        if self.kind == "transpose":
            return {"kernel": k + (self.filters, self.channels), "bias": (self.filters,)}
        return {"kernel": k + (self.channels // self.groups, self.filters), "bias": (self.filters,)}

    def output_shape(self) -> tuple[int, ...]:
        out_channels = self.channels if self.kind == "depthwise" else self.filters
        return (self.batch, *self.output_size, out_channels)

    def data(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Seeded float32 arrays: ``x``, the upstream gradient ``dy`` and the weights (Keras layout)."""
        rng = np.random.default_rng(seed)
        arrays = {"x": rng.standard_normal(self.input_shape, dtype=np.float32)}
        for name, shape in self.weight_shapes().items():
            fan_in = math.prod(shape[:-1]) or 1
            arrays[name] = (rng.standard_normal(shape, dtype=np.float32) / math.sqrt(fan_in)).astype(np.float32)
        arrays["dy"] = rng.standard_normal(self.output_shape(), dtype=np.float32)
        return arrays

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Workload":
        return cls(**{**d, "size": tuple(d["size"])})

    def describe(self) -> str:
        """A short human description, e.g. ``3x3 s2 same 64->128 @56x56 N8``."""
        k = "x".join([str(self.kernel)] * self.rank)
        parts = [k]
        if self.strides > 1:
            parts.append(f"s{self.strides}")
        if self.dilation > 1:
            parts.append(f"d{self.dilation}")
        if self.groups > 1:
            parts.append(f"g{self.groups}")
        parts.append(self.padding)
        parts.append(f"{self.channels}->{self.output_shape()[-1]}")
        parts.append("@" + "x".join(map(str, self.size)))
        parts.append(f"N{self.batch}")
        return " ".join(parts)


WORKLOADS: tuple[Workload, ...] = (
    Workload("conv2d_3x3", "conv", batch=8, size=(56, 56), channels=64, filters=64, kernel=3),
    Workload("conv2d_3x3_s2", "conv", batch=8, size=(56, 56), channels=64, filters=128, kernel=3, strides=2),
    Workload("conv2d_1x1", "conv", batch=8, size=(28, 28), channels=256, filters=128, kernel=1),
    Workload("conv2d_3x3_d2", "conv", batch=8, size=(56, 56), channels=64, filters=64, kernel=3, dilation=2),
    Workload("conv2d_3x3_g8", "conv", batch=8, size=(56, 56), channels=128, filters=128, kernel=3, groups=8),
    Workload("depthwise2d_3x3", "depthwise", batch=8, size=(56, 56), channels=128, filters=128, kernel=3),
    Workload("separable2d_3x3", "separable", batch=8, size=(56, 56), channels=64, filters=128, kernel=3),
    Workload("conv2d_transpose_3x3_s2", "transpose", batch=8, size=(28, 28), channels=64, filters=32, kernel=3, strides=2),
    Workload("conv1d_causal_k3_d4", "conv", batch=8, size=(4096,), channels=64, filters=64, kernel=3, dilation=4, padding="causal"),
    Workload("conv3d_3x3x3", "conv", batch=4, size=(16, 32, 32), channels=16, filters=32, kernel=3),
)


def select(pattern: str | None) -> list[Workload]:
    """Workloads whose name contains any of the comma-separated substrings in ``pattern``.

    >>> [w.name for w in select("1x1,conv3d")]
    ['conv2d_1x1', 'conv3d_3x3x3']
    """
    if not pattern:
        return list(WORKLOADS)
    keys = [p.strip() for p in pattern.split(",") if p.strip()]
    return [w for w in WORKLOADS if any(k in w.name for k in keys)]
