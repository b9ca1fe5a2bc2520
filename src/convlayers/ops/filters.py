"""Resampling filters as per-axis ``(out, in)`` weight matrices (TF's and JAX's formulas).

Output ``o`` of an axis upsampled by ``factor`` samples the input at the
half-pixel centre ``c = (o + 0.5) / factor - 0.5`` (never align_corners). Its
weights are ``kernel(|i - c|)`` over the input positions ``i`` in ``[0, n)``;
taps that fall outside the input are dropped and the rest renormalised to sum
to 1, which is what TF's ``scale_and_translate`` and ``resize_bicubic``
(half-pixel mode) and ``jax.image.resize`` do at the borders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

Kernel = Callable[[torch.Tensor], torch.Tensor]

# TF's resize_bicubic reads Keys weights from a table of 1024 fractional offsets.
TF_CUBIC_TABLE_SIZE = 1024


def keys_cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys's cubic convolution with ``a = -0.5`` (TF's and JAX's ``bicubic``), support 2."""
    x = x.abs()
    near = (1.5 * x - 2.5) * x * x + 1
    far = ((-0.5 * x + 2.5) * x - 4) * x + 2
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def mitchell_cubic(x: torch.Tensor) -> torch.Tensor:
    """Mitchell-Netravali cubic with ``B = C = 1/3`` (tf.keras 2's ``mitchellcubic``), support 2."""
    x = x.abs()
    near = ((7 / 6) * x - 2) * x * x + 8 / 9
    far = (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9
    return torch.where(x < 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


def gaussian(x: torch.Tensor) -> torch.Tensor:
    """Gaussian with ``sigma = 0.5`` cut at radius 1.5 (tf.keras 2's ``gaussian``)."""
    x = x.abs()
    return torch.where(x < 1.5, torch.exp(-x * x / (2 * 0.5**2)), torch.zeros_like(x))


def lanczos(radius: int) -> Kernel:
    """``sinc(x) * sinc(x / radius)`` on ``|x| <= radius`` (``lanczos3``, ``lanczos5``)."""

    def kernel(x: torch.Tensor) -> torch.Tensor:
        x = x.abs()
        value = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius) / (math.pi**2 * x * x)
        # sin(x)/x is 1 at 0; TF switches to the limit below 1e-3.
        value = torch.where(x <= 1e-3, torch.ones_like(x), value)
        return torch.where(x <= radius, value, torch.zeros_like(x))

    return kernel


@dataclass(frozen=True)
class Filter:
    """A resampling kernel of the distance in input pixels, and how its sample centres are placed.

    ``tf_cubic_table``: round each centre's fractional part to 1/1024 in
    float32, as TF's ``resize_bicubic`` does by reading its weights from a table.
    """

    kernel: Kernel
    tf_cubic_table: bool = False


FILTERS: dict[str, Filter] = {
    "cubic": Filter(keys_cubic, tf_cubic_table=True),
    "lanczos3": Filter(lanczos(3)),
    "lanczos5": Filter(lanczos(5)),
    "gaussian": Filter(gaussian),
    "mitchellcubic": Filter(mitchell_cubic),
}


def _tf_table_centres(in_size: int, out_size: int) -> torch.Tensor:
    """TF's float32 half-pixel source positions with their fraction rounded to 1/1024."""
    scale = torch.tensor(in_size, dtype=torch.float32) / out_size
    position = (torch.arange(out_size, dtype=torch.float32) + 0.5) * scale - 0.5
    whole = torch.floor(position)
    # torch.round is round-half-to-even, as TF's lrintf.
    offset = torch.round((position - whole) * TF_CUBIC_TABLE_SIZE)
    return whole.double() + offset.double() / TF_CUBIC_TABLE_SIZE


def resize_matrix(method: str, in_size: int, factor: int) -> torch.Tensor:
    """The float64 ``(in_size * factor, in_size)`` matrix of ``method`` (a key of :data:`FILTERS`).

    >>> [round(w, 4) for w in resize_matrix("cubic", 3, 2)[1].tolist()]
    [0.8102, 0.2117, -0.0219]
    """
    spec = FILTERS[method]
    out_size = in_size * factor
    if spec.tf_cubic_table:
        centres = _tf_table_centres(in_size, out_size)
    else:
        centres = (torch.arange(out_size, dtype=torch.float64) + 0.5) / factor - 0.5
    distance = torch.arange(in_size, dtype=torch.float64)[None, :] - centres[:, None]
    weights = spec.kernel(distance)
    total = weights.sum(dim=1, keepdim=True)
    # A row whose taps all vanish stays zero (TF's guard), instead of dividing by zero.
    return torch.where(total.abs() > 1e-30, weights / total, torch.zeros_like(weights))
