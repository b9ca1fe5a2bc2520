"""The initializer protocol, Keras's fan computation and the seeding shared by random initializers."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from ..registry import Configurable

Shape = Sequence[int]
_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]
_PHI_MINUS_2 = 0.5 * math.erfc(math.sqrt(2.0))  # P(Z < -2) for a standard normal Z


def compute_fans(shape: Shape, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a Keras-layout weight shape.

    Rank >= 3 (conv kernels): ``receptive = prod(shape[:-2])``, ``fan_in = shape[-2] * receptive``,
    ``fan_out = shape[-1] * receptive``. Rank 2: ``shape``. Rank 1: ``(shape[0], shape[0])``.
    Scalar: ``(1, 1)``. When both ``input_axes`` and ``output_axes`` are given, each fan is the
    product of the sizes on those axes instead.

    >>> compute_fans((3, 3, 32, 64)), compute_fans((3, 3, 32, 1)), compute_fans((10,))
    ((288, 576), (288, 9), (10, 10))
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Configurable, ABC):
    """Base class: ``init(shape, dtype)`` returns a new tensor of ``shape`` (Keras layout).

    >>> from convlayers.initializers import Ones
    >>> Ones()((2,), torch.float64)
    tensor([1., 1.], dtype=torch.float64)
    """

    @abstractmethod
    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        """A new tensor of ``shape`` and ``dtype``."""


class _Random(Initializer):
    """Seed handling shared by the random initializers."""

    def __init__(self, seed: int | None = None) -> None:
        # torch's generators take seeds in [-2**63, 2**64); a bool is not a seed.
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**64):
            raise ValueError(
                f"Invalid value for argument `seed`: expected an int in [-2**63, 2**64) or None. Received: seed={seed!r}"
            )
        self.seed = seed

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _draw(self, sampler: Callable[..., Tensor], shape: Shape, dtype: torch.dtype) -> Tensor:
        """``sampler`` (``torch.rand``/``torch.randn``) in at least float32, from the seed's generator."""
        if not dtype.is_floating_point:
            raise ValueError(f"{type(self).__name__} draws floats: dtype must be a floating torch dtype. Received: dtype={dtype}")
        generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)
        return sampler(tuple(shape), generator=generator, dtype=torch.promote_types(dtype, torch.float32))

    def _normal(self, shape: Shape, mean: float, stddev: float, dtype: torch.dtype) -> Tensor:
        return (self._draw(torch.randn, shape, dtype) * stddev + mean).to(dtype)

    def _truncated_normal(self, shape: Shape, mean: float, stddev: float, dtype: torch.dtype) -> Tensor:
        # Inverse-CDF sampling of a standard normal restricted to [-2, 2], as Keras truncates.
        u = self._draw(torch.rand, shape, dtype)
        z = torch.special.ndtri(_PHI_MINUS_2 + u * (1.0 - 2.0 * _PHI_MINUS_2)).clamp(-2.0, 2.0)
        return (z * stddev + mean).to(dtype)

    def _uniform(self, shape: Shape, low: float, high: float, dtype: torch.dtype) -> Tensor:
        return (low + (high - low) * self._draw(torch.rand, shape, dtype)).to(dtype)
