"""Max and average pooling: one N-d implementation; the 1D/2D/3D classes pin the rank and the reduction."""

from __future__ import annotations

from typing import Any, Callable

import torch

from .. import ops
from ..geometry import (
    PaddingLike,
    WindowGeometry,
    check_pool_pads,
    normalize_padding,
    normalize_tuple,
    serialize_padding,
)
from .base import Shape
from .window import WindowLayer


class Pooling(WindowLayer):
    """N-d pooling over sliding windows with Keras 3's arguments and TF's exact numbers.

    Subclasses pick the reduction (:class:`MaxPooling`, :class:`AveragePooling`)
    and the rank.

    Args:
        pool_size: int or ``rank`` ints (Keras: ``2`` per dim).
        strides: int, ``rank`` ints, or ``None`` for ``pool_size``.
        padding: ``'valid'``, ``'same'`` (TF's split: the extra pixel at the end),
            and beyond Keras ``'causal'``, ``'full'``, an int, ``rank`` ints, or
            ``rank`` ``(begin, end)`` pairs, or a padding rule from
            :mod:`convlayers.geometry`; each side smaller than ``pool_size``.
            Padding never wins a max and is never counted in an average's divisor.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, *spatial, channels)`` (or channels first); output
    ``(batch, *out_spatial, channels)`` with the convolution's sizes
    (``ceil(n / s)`` for ``'same'``).
    """

    #: The reduction, as ``ops.pool_call`` names it: ``'max'`` or ``'average'``.
    pool_kind: str

    def __init__(
        self,
        pool_size: int | tuple[int, ...] = 2,
        strides: int | tuple[int, ...] | None = None,
        padding: PaddingLike = "valid",
        *,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        owner, rank = self.owner, self.rank
        self.geometry = WindowGeometry(
            kernel_size=normalize_tuple(pool_size, rank, "pool_size", owner),
            strides=normalize_tuple(pool_size if strides is None else strides, rank, "strides", owner),
            dilation_rate=(1,) * rank,
            padding=normalize_padding(padding, rank, owner),
        )
        check_pool_pads(self.geometry.pads((None,) * rank), self.geometry.kernel_size, owner)

    pool_size = property(lambda self: self.geometry.kernel_size)
    strides = property(lambda self: self.geometry.strides)
    padding = property(lambda self: self.geometry.padding.spelling)

    def _window_text(self, axis: int) -> str:
        return f"pool_size={self.pool_size[axis]}"

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(ops.static_sizes(x.shape), x.dtype, x.device)(x)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """``ops.pool_call`` for this shape: pads and torch's pooling plan resolved once."""
        _, spatial, _ = self.split_shape(shape)
        pads = self.geometry.pads(spatial)
        return ops.pool_call(self.pool_kind, spatial, self.pool_size, self.strides, pads, self.channels_last, dtype, device)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        lead, spatial, channels = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), channels)

    def _config(self) -> dict[str, Any]:
        # Keras 3's order: pool_size, padding, strides, data_format
        return {
            "pool_size": self.pool_size,
            "padding": serialize_padding(self.geometry.padding),
            "strides": self.strides,
            "data_format": self.data_format,
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, pool_size={self.pool_size}, strides={self.strides}, "
            f"padding={self.padding!r}, data_format={self.data_format!r}"
        )


class MaxPooling(Pooling):
    """N-d max pooling; padding holds ``-inf`` and never wins. See :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling1D(2, padding="same")(np.array([[[1.0], [2.0], [3.0]]], "float32"))[0, :, 0].tolist()
    [2.0, 3.0]
    """

    pool_kind = "max"


class AveragePooling(Pooling):
    """N-d average pooling; each window is divided by its count of real elements (TF). See :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling1D(2, padding="same")(np.array([[[1.0], [2.0], [3.0]]], "float32"))[0, :, 0].tolist()
    [1.5, 3.0]
    """

    pool_kind = "average"


class MaxPooling1D(MaxPooling):
    """Max pooling over ``(batch, steps, channels)`` (Keras ``MaxPooling1D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling1D()(np.zeros((2, 9, 3), "float32")).shape
    (2, 4, 3)
    """

    rank = 1


class MaxPooling2D(MaxPooling):
    """Max pooling over ``(batch, rows, cols, channels)`` (Keras ``MaxPooling2D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling2D((3, 3), strides=2, padding="same")(np.zeros((1, 7, 8, 1), "float32")).shape
    (1, 4, 4, 1)
    """

    rank = 2


class MaxPooling3D(MaxPooling):
    """Max pooling over ``(batch, depth, rows, cols, channels)`` (Keras ``MaxPooling3D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling3D(data_format="channels_first")(np.zeros((1, 2, 4, 5, 6), "float32")).shape
    (1, 2, 2, 2, 3)
    """

    rank = 3


class AveragePooling1D(AveragePooling):
    """Average pooling over ``(batch, steps, channels)`` (Keras ``AveragePooling1D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling1D(3, strides=1)(np.zeros((2, 9, 3), "float32")).shape
    (2, 7, 3)
    """

    rank = 1


class AveragePooling2D(AveragePooling):
    """Average pooling over ``(batch, rows, cols, channels)`` (Keras ``AveragePooling2D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling2D(padding="same")(np.ones((1, 3, 3, 1), "float32"))[0, :, :, 0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    rank = 2


class AveragePooling3D(AveragePooling):
    """Average pooling over ``(batch, depth, rows, cols, channels)`` (Keras ``AveragePooling3D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling3D((2, 1, 3))(np.zeros((1, 4, 4, 6, 2), "float32")).shape
    (1, 2, 4, 2, 2)
    """

    rank = 3


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
