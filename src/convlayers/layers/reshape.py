"""Layers that only rearrange elements: ``Flatten`` and ``Reshape``."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any, Sequence

import torch

from ..geometry import normalize_data_format
from .base import Layer, Shape


class Flatten(Layer):
    """Flattens each example to one axis (Keras ``Flatten``): ``(batch, ...)`` -> ``(batch, n)``.

    With ``data_format='channels_first'`` the input is first moved to channels last, as Keras
    does, so the features come out in the same order as for the channels-last model and a
    following ``Dense`` kernel means the same thing in both layouts. A ``(batch,)`` input gives
    ``(batch, 1)``.

    >>> import numpy as np
    >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)  # (batch, channels, rows, cols)
    >>> Flatten(data_format="channels_first")(x)
    array([[0., 4., 1., 5., 2., 6., 3., 7.]], dtype=float32)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.owner)

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 1:
            raise ValueError(f"{self.owner}: expected an input of rank >= 1 (batch, ...). Received input shape {shape}.")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``(batch, product of the other dims)``; ``None`` if any of them is unknown."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        rest = shape[1:]
        return (shape[0], None if None in rest else math.prod(rest))

    def _config(self) -> dict[str, Any]:
        return {"data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each example to ``target_shape`` (Keras ``Reshape``); the batch dim is kept.

    One entry of ``target_shape`` may be ``-1``: it takes whatever size keeps the number of
    elements unchanged.

    >>> import numpy as np
    >>> Reshape((-1, 2))(np.zeros((3, 12), "float32")).shape
    (3, 6, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        valid = (
            isinstance(target_shape, Sequence)
            and not isinstance(target_shape, (str, bytes))
            and all(isinstance(d, Integral) and not isinstance(d, bool) and (d > 0 or d == -1) for d in target_shape)
        )
        if not valid:
            raise ValueError(
                f"{self.owner}: `target_shape` must be a tuple of positive ints, with at most one -1. "
                f"Received: target_shape={target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target_shape)
        if self.target_shape.count(-1) > 1:
            raise ValueError(
                f"{self.owner}: `target_shape` may contain at most one -1. Received: target_shape={self.target_shape}."
            )

    def _check_input_shape(self, shape: Shape) -> None:
        self.compute_output_shape(shape)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``(batch,) + target_shape`` with the ``-1`` resolved when the input size is known."""
        shape = tuple(input_shape)
        if len(shape) < 1:
            raise ValueError(f"{self.owner}: expected an input of rank >= 1 (batch, ...). Received input shape {shape}.")
        rest = shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        if None in rest:
            return (shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(rest)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f"{self.owner}: cannot reshape examples of shape {rest} ({size} elements) to "
                f"target_shape={self.target_shape}: the total size must be unchanged. "
                f"Received input shape {shape}."
            )
        return (shape[0],) + tuple(size // known if d == -1 else d for d in self.target_shape)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        target = self.compute_output_shape(tuple(x.shape))[1:]
        return x.reshape((x.shape[0],) + target)

    def _config(self) -> dict[str, Any]:
        return {"target_shape": self.target_shape}
