"""Padding: one N-d implementation (a constant, edge or reflection fill); ``Padding1D``/``2D``/``3D`` pin the rank.

Keras has only zero padding (:class:`~.zero_padding.ZeroPadding`, a
``Padding`` pinned to zeros); the other fills are NumPy's ``np.pad`` modes,
which Wolfram's ``PaddingLayer`` (``Padding -> "Fixed"`` / ``"Reflected"``),
ONNX's ``Pad`` and DL4J need.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from .. import ops
from ..geometry import PAD_MODES, PaddingLike, normalize_side_pairs, padded_sizes
from .base import Shape
from .reshaping import ReshapingLayer


class Padding(ReshapingLayer):
    """Pad the spatial dims of N-d inputs with a constant, copies of the edge, or a reflection.

    Args:
        padding: entries to add at the beginning and end of each spatial dim,
            in :class:`~.zero_padding.ZeroPadding`'s forms: an int (every side),
            ``rank`` ints, or ``rank`` items each an int or a ``(begin, end)`` pair.
        mode: ``'constant'`` (default: ``value`` everywhere), ``'edge'`` (repeat
            the edge element; corners copy the corner) or ``'reflect'`` (mirror
            about the edge without repeating it; pads longer than the dim keep
            reflecting): ``np.pad``'s modes of those names.
        value: the fill of ``'constant'`` (cast to the input's dtype).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, *spatial, channels)`` (or channels first), of exactly rank
    ``rank + 2``; output ``(batch, *padded, channels)``; integer inputs keep
    their dtype and floating ones take the layer's.
    """

    rank: int

    def __init__(
        self,
        padding: PaddingLike,
        *,
        mode: str = "constant",
        value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        owner = self.owner
        if mode not in PAD_MODES:
            raise ValueError(f"{owner}: invalid value for argument `mode`. Expected one of {PAD_MODES}. Received mode={mode!r}.")
        if not isinstance(value, Real) or isinstance(value, bool):
            raise ValueError(f"{owner}: the `value` argument must be a real number. Received value={value!r}.")
        if mode != "constant" and value != 0:
            raise ValueError(f"{owner}: `value` is the fill of mode='constant' only. Received mode={mode!r}, value={value!r}.")
        self.padding = normalize_side_pairs(padding, self.rank, "padding", owner)
        self.mode, self.value = mode, float(value)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return ops.pad(self.autocast(x), self.padding, mode=self.mode, value=self.value, channels_last=self.channels_last)

    def output_sizes(self, spatial: Shape) -> Shape:
        return padded_sizes(spatial, self.padding)

    def _config(self) -> dict[str, Any]:
        return {"padding": self.padding, "mode": self.mode, "value": self.value, "data_format": self.data_format}

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, padding={self.padding}, mode={self.mode!r}, value={self.value}, "
            f"data_format={self.data_format!r}"
        )


class Padding1D(Padding):
    """Pad the steps of ``(batch, steps, features)``; see :class:`Padding`.

    >>> import numpy as np
    >>> Padding1D((2, 1), mode="reflect")(np.array([[[1], [2], [3]]])).ravel().tolist()
    [3, 2, 1, 2, 3, 2]
    """

    rank = 1


class Padding2D(Padding):
    """Pad rows and columns; see :class:`Padding`.

    >>> import numpy as np
    >>> Padding2D(1, mode="edge", data_format="channels_first")(np.array([[[[1, 2]]]])).tolist()
    [[[[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]]]]
    """

    rank = 2


class Padding3D(Padding):
    """Pad depth, rows and columns; see :class:`Padding`.

    >>> import numpy as np
    >>> Padding3D((0, 1, (2, 0)), value=-1.0)(np.zeros((1, 2, 2, 2, 3), "float32")).shape
    (1, 2, 4, 4, 3)
    """

    rank = 3
