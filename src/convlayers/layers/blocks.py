"""SpaceToDepth and SpaceToBatch: TF's block rearrangements (DL4J's SpaceToDepthLayer / SpaceToBatchLayer).

The names are TF's (``tf.nn.space_to_depth(block_size)``,
``tf.space_to_batch_nd(block_shape, paddings)``) and so is the element order.
From DL4J: ``blocks`` is ``block_shape``, ``padding`` is ``paddings``
(``[[top, bottom], [left, right]]``), and ``NCHW``/``NHWC`` are
``channels_first``/``channels_last``. The layers move data and never change
it, so they keep the input's dtype instead of casting to the layer's.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .. import ops
from ..geometry import (
    PaddingLike,
    Pads,
    blocked_sizes,
    indivisible_dims,
    normalize_pads,
    normalize_positive_int,
    normalize_tuple,
)
from .base import Shape
from .spatial import SpatialLayer


class _BlockLayer(SpatialLayer):
    """Cuts the (padded) spatial dims into blocks; refuses sizes the blocks do not divide."""

    rank = 2
    casts_inputs = False
    block_shape: tuple[int, ...]
    paddings: Pads

    def _block_text(self) -> str:
        """The arguments that the spatial sizes must fit, as the error names them."""
        raise NotImplementedError

    def _check_input_shape(self, shape: Shape) -> None:
        super()._check_input_shape(shape)
        _, spatial, _ = self.split_shape(shape)
        bad = indivisible_dims(spatial, self.block_shape, self.paddings)
        if bad:
            axis = bad[0]
            size, padded = spatial[axis], spatial[axis] + sum(self.paddings[axis])
            size_text = f"{size}," if padded == size else f"{size}, {padded} once padded,"
            raise ValueError(
                f"{self.owner}: the input's spatial dims must be divisible by {self._block_text()}. "
                f"Spatial dim {axis + 1} has size {size_text} which {self.block_shape[axis]} does not divide. "
                f"Received input shape {shape}."
            )

    def _blocked_spatial(self, shape: Shape) -> tuple[Shape, Shape, int | None]:
        self._check_input_shape(shape)
        lead, spatial, channels = self.split_shape(shape)
        return lead, blocked_sizes(spatial, self.block_shape, self.paddings), channels


class SpaceToDepth(_BlockLayer):
    """Move ``block_size x block_size`` blocks of space into the channels, in TF's order.

    Output channel ``(i * block_size + j) * C + c`` holds input channel ``c`` at
    row ``h * block_size + i``, col ``w * block_size + j`` (TF's and DL4J's
    order, not ``torch.nn.functional.pixel_unshuffle``'s).

    Args:
        block_size: int ``> 0``; the input's rows and cols must be multiples of it.
        data_format: ``'channels_last'`` (default, TF's ``NHWC``) or
            ``'channels_first'`` (DL4J's default ``NCHW``).

    Input ``(batch, rows, cols, channels)``; output
    ``(batch, rows / b, cols / b, channels * b * b)`` (or channels first).

    >>> import numpy as np
    >>> x = np.arange(1, 9, dtype="float32").reshape(1, 2, 2, 2)  # DL4J's SpaceToDepthTest
    >>> SpaceToDepth(2, data_format="channels_first")(x).ravel().tolist()
    [1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0]
    """

    def __init__(self, block_size: int, *, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.block_size = normalize_positive_int(block_size, "block_size", self.owner)
        self.block_shape = (self.block_size,) * self.rank
        self.paddings = ((0, 0),) * self.rank

    def _block_text(self) -> str:
        return f"block_size={self.block_size}"

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return ops.space_to_depth(x, block_shape=self.block_shape, channels_last=self.channels_last)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        lead, spatial, channels = self._blocked_spatial(tuple(input_shape))
        depth = None if channels is None else channels * math.prod(self.block_shape)
        return self.join_shape(lead, spatial, depth)

    def _config(self) -> dict[str, Any]:
        return {"block_size": self.block_size, "data_format": self.data_format}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, block_size={self.block_size}, data_format={self.data_format!r}"


class SpaceToBatch(_BlockLayer):
    """Zero-pad space, then move the offsets within each block into the batch, in TF's order.

    Output example ``(i * b1 + j) * N + n`` holds example ``n`` of the padded
    input at row ``h * b0 + i``, col ``w * b1 + j`` (``tf.space_to_batch_nd``,
    DL4J's ``SpaceToBatchLayer``).

    Args:
        block_shape: int or 2 ints ``> 0`` (DL4J's ``blocks``).
        paddings: zero padding before blocking (DL4J's ``padding``): an int, 2
            ints, or 2 ``(begin, end)`` pairs (TF's ``[[top, bottom], [left, right]]``).
            The padded rows and cols must be multiples of the block.
        data_format: ``'channels_last'`` (default, TF's ``NHWC``) or
            ``'channels_first'`` (DL4J's default ``NCHW``).

    Input ``(batch, rows, cols, channels)``; output
    ``(batch * b0 * b1, (rows + top + bottom) / b0, (cols + left + right) / b1, channels)``
    (or channels first).

    >>> import numpy as np
    >>> SpaceToBatch(2, paddings=((0, 0), (1, 1)))(np.zeros((3, 4, 2, 5), "float32")).shape
    (12, 2, 2, 5)
    """

    def __init__(
        self,
        block_shape: int | tuple[int, ...],
        paddings: PaddingLike = 0,
        *,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.block_shape = normalize_tuple(block_shape, self.rank, "block_shape", self.owner)
        self.paddings = normalize_pads(paddings, self.rank, "paddings", self.owner)

    def _block_text(self) -> str:
        return f"block_shape={self.block_shape} once padded by paddings={self.paddings}"

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return ops.space_to_batch(x, block_shape=self.block_shape, pads=self.paddings, channels_last=self.channels_last)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        (batch,), spatial, channels = self._blocked_spatial(tuple(input_shape))
        lead = (None if batch is None else batch * math.prod(self.block_shape),)
        return self.join_shape(lead, spatial, channels)

    def _config(self) -> dict[str, Any]:
        return {
            "block_shape": self.block_shape,
            "paddings": [list(pair) for pair in self.paddings],
            "data_format": self.data_format,
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, block_shape={self.block_shape}, paddings={self.paddings}, "
            f"data_format={self.data_format!r}"
        )
