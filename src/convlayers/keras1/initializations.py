"""Keras 1.2.2's initializations, with Keras 1's fans (reference B6).

Keras 1 computes fans from the weight *as Keras 1 stores it*, with a
``dim_ordering`` that is not always the layer's own: ``Convolution1D`` stores a
tf-layout ``(length, 1, in, out)`` kernel but asks for ``'th'`` fans, and
``'tf'`` fans multiply only the first two axes into the receptive field, even for
3-D kernels. Those quirks change initial scales, and a port that wants Keras 1's
numbers keeps them: each initializer here is told the ordering its layer passes.

>>> init = get("glorot_uniform", fan_ordering="th")
>>> w = init((3, 1, 32, 64))  # Convolution1D(64, 3) on 32 features: fans 2048 and 6144
>>> round(float(w.abs().max()), 3) <= 0.027
True
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ..initializers import Initializer
from ..initializers.base import Shape, _Random

#: Every name Keras 1.2.2's ``initializations.get`` knows.
NAMES = (
    "uniform", "normal", "lecun_uniform", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "orthogonal", "identity", "zero", "one",
)


def get_fans(shape: Shape, dim_ordering: str = "th") -> tuple[float, float]:
    """Keras 1's ``(fan_in, fan_out)`` of a weight of ``shape``.

    >>> get_fans((3, 3, 8, 16), "tf"), get_fans((3, 3, 3, 8, 16), "tf"), get_fans((16, 8, 3, 3), "th")
    ((72, 144), (72, 144), (72, 144))
    """
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5):
        if dim_ordering == "th":
            receptive = math.prod(shape[2:])
            return shape[1] * receptive, shape[0] * receptive
        receptive = math.prod(shape[:2])  # Keras 1's tf fans: the first two axes only, even in 3-D
        return shape[-2] * receptive, shape[-1] * receptive
    side = math.sqrt(math.prod(shape))
    return side, side


class Keras1Initializer(_Random):
    """One of Keras 1's named initializations, drawing with Keras 1's fans for ``fan_ordering``.

    Uniform draws are ``U(-a, a)``, normal ones ``N(0, sigma)``, never truncated.
    """

    def __init__(self, name: str, fan_ordering: str = "th", seed: int | None = None) -> None:
        super().__init__(seed)
        if name not in NAMES:
            raise ValueError(f"Unknown Keras 1 initialization {name!r}. Keras 1.2.2 knows: {', '.join(NAMES)}.")
        self.name, self.fan_ordering = name, fan_ordering

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        shape = tuple(shape)
        if self.name == "zero":
            return torch.zeros(shape, dtype=dtype)
        if self.name == "one":
            return torch.ones(shape, dtype=dtype)
        if self.name == "identity":
            if len(shape) != 2 or shape[0] != shape[1]:
                raise ValueError(
                    f"Identity matrix initialization can only be used for 2D square matrices. Received shape={shape}."
                )
            return torch.eye(shape[0], dtype=dtype)
        if self.name == "orthogonal":
            return self._orthogonal(shape, dtype)
        fan_in, fan_out = get_fans(shape, self.fan_ordering)
        kind, scale = {
            "uniform": ("uniform", 0.05),
            "normal": ("normal", 0.05),
            "lecun_uniform": ("uniform", math.sqrt(3.0 / fan_in)),
            "glorot_normal": ("normal", math.sqrt(2.0 / (fan_in + fan_out))),
            "glorot_uniform": ("uniform", math.sqrt(6.0 / (fan_in + fan_out))),
            "he_normal": ("normal", math.sqrt(2.0 / fan_in)),
            "he_uniform": ("uniform", math.sqrt(6.0 / fan_in)),
        }[self.name]
        if kind == "uniform":
            return self._uniform(shape, -scale, scale, dtype)
        return self._normal(shape, 0.0, scale, dtype)

    def _orthogonal(self, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
        """Keras 1: the SVD factor of a ``(shape[0], prod(shape[1:]))`` Gaussian matrix that has that shape, times 1.1."""
        flat = (shape[0], math.prod(shape[1:]))
        u, _, v = torch.linalg.svd(self._draw(torch.randn, flat, dtype), full_matrices=False)
        q = u if tuple(u.shape) == flat else v
        return (1.1 * q.reshape(shape)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "fan_ordering": self.fan_ordering, **super().get_config()}


def get(identifier: Any, fan_ordering: str = "th") -> Initializer:
    """A Keras 1 initialization by name (an :class:`~convlayers.initializers.Initializer` passes through).

    >>> get("one")((2,))
    tensor([1., 1.])
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return Keras1Initializer(identifier, fan_ordering)
    raise ValueError(
        f"A Keras 1 `init` is a name ({', '.join(NAMES)}) or a convlayers Initializer. Received init={identifier!r}."
    )


def name_of(initializer: Initializer) -> Any:
    """What a Keras 1 config stores for ``initializer``: its name (a custom object: its config)."""
    if isinstance(initializer, Keras1Initializer):
        return initializer.name
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
