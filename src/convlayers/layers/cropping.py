"""Cropping: one N-d implementation; ``Cropping1D``/``2D``/``3D`` pin the rank and Keras's default."""

from __future__ import annotations

from typing import Any

import torch

from .. import ops
from ..geometry import PaddingLike, cropped_sizes, normalize_side_pairs
from .base import Shape
from .reshaping import ReshapingLayer


class Cropping(ReshapingLayer):
    """Crop the spatial dims of N-d inputs (Keras ``Cropping1D/2D/3D`` semantics).

    Args:
        cropping: what to remove from the beginning and end of each spatial dim:
            an int (every side), ``rank`` ints (both sides of each dim), or
            ``rank`` items that are each an int or a ``(begin, end)`` pair, e.g.
            ``((1, 2), 3)``; the 1-D layer takes an int or one ``(begin, end)``
            pair. ``None`` gives the rank's Keras default.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``
            (2-D and 3-D only; ``Cropping1D`` always takes ``(batch, steps, features)``).

    Input ``(batch, *spatial, channels)`` (or channels first), of exactly rank
    ``rank + 2``; output ``(batch, *cropped, channels)``, a view of the input
    (integer inputs keep their dtype, floating ones take the layer's, as Keras
    autocasts). Every spatial dim must keep at least one entry.
    """

    rank: int
    #: Keras's default ``cropping`` for this rank.
    default_cropping: PaddingLike

    def __init__(self, cropping: PaddingLike | None = None, *, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        value = self.default_cropping if cropping is None else cropping
        self.cropping = normalize_side_pairs(value, self.rank, "cropping", self.owner)

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
        _, spatial, _ = self.split_shape(shape)
        for axis, (size, out) in enumerate(zip(spatial, self.output_sizes(spatial))):
            if out is not None and out <= 0:
                begin, end = self.cropping[axis]
                raise ValueError(
                    f"{self.owner}: the `cropping` values must sum to less than each spatial dim of the "
                    f"input, but along spatial dim {axis + 1} cropping {(begin, end)} removes "
                    f"{begin + end} of its {size} entries. Received input shape {shape} "
                    f"(data_format={self.data_format!r}), cropping={self.cropping}."
                )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return ops.crop(self.autocast(x), self.cropping, channels_last=self.channels_last)

    def output_sizes(self, spatial: Shape) -> Shape:
        return cropped_sizes(spatial, self.cropping)

    def _config(self) -> dict[str, Any]:
        # Keras keeps Cropping1D's cropping as one flat (begin, end) pair.
        config: dict[str, Any] = {"cropping": self.cropping[0] if self.rank == 1 else self.cropping}
        if self.takes_data_format:
            config["data_format"] = self.data_format
        return config

    def extra_repr(self) -> str:
        return f"name={self.name!r}, cropping={self.cropping}, data_format={self.data_format!r}"


class Cropping1D(Cropping):
    """Crop the steps of ``(batch, steps, features)`` (Keras ``Cropping1D``, default ``(1, 1)``).

    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(6).reshape(1, 6, 1)).ravel().tolist()
    [1, 2, 3]
    """

    rank = 1
    default_cropping = (1, 1)
    takes_data_format = False


class Cropping2D(Cropping):
    """Crop rows and columns (Keras ``Cropping2D``, default ``((0, 0), (0, 0))``); see :class:`Cropping`.

    >>> import numpy as np
    >>> Cropping2D(((1, 2), 3))(np.zeros((2, 8, 9, 3), "float32")).shape
    (2, 5, 3, 3)
    """

    rank = 2
    default_cropping = ((0, 0), (0, 0))


class Cropping3D(Cropping):
    """Crop depth, rows and columns (Keras ``Cropping3D``, default ``1`` per side); see :class:`Cropping`.

    >>> import numpy as np
    >>> Cropping3D(data_format="channels_first")(np.zeros((1, 2, 4, 5, 6), "float32")).shape
    (1, 2, 2, 3, 4)
    """

    rank = 3
    default_cropping = ((1, 1), (1, 1), (1, 1))
