"""Global max and average pooling: one N-d implementation; the 1D/2D/3D classes pin the rank and the reduction."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .. import ops
from .base import Shape
from .spatial import SpatialLayer


class GlobalPooling(SpatialLayer):
    """Reduce every spatial dim to one value per channel (Keras 3's ``Global*Pooling*``).

    Subclasses pick the reduction (:class:`GlobalMaxPooling`,
    :class:`GlobalAveragePooling`) and the rank.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial dims with size 1.

    Input ``(batch, *spatial, channels)`` (or channels first); output
    ``(batch, channels)``, or with ``keepdims`` ``(batch, 1, ..., 1, channels)``
    (``(batch, channels, 1, ..., 1)``). Keras's ``mask`` argument of the 1-D
    layers is not supported.
    """

    #: The functional kernel: ``ops.global_max_pool`` or ``ops.global_average_pool``.
    pool_op: Callable[..., torch.Tensor]

    def __init__(self, *, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(keepdims, (bool, np.bool_)):
            raise TypeError(
                f"{self.owner}: the `keepdims` argument must be a boolean. "
                f"Received keepdims={keepdims!r} of type {type(keepdims).__name__}."
            )
        self.keepdims = bool(keepdims)

    def _check_input_shape(self, shape: Shape) -> None:
        super()._check_input_shape(shape)
        _, spatial, _ = self.split_shape(shape)
        if 0 in spatial:
            raise ValueError(
                f"{self.owner}: global pooling needs at least one element along every spatial dim. "
                f"Received input shape {shape}."
            )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool_op(x, rank=self.rank, keepdims=self.keepdims, channels_last=self.channels_last)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        lead, _, channels = self.split_shape(shape)
        if not self.keepdims:
            return tuple(lead) + (channels,)
        return self.join_shape(lead, (1,) * self.rank, channels)

    def _config(self) -> dict[str, Any]:
        return {"data_format": self.data_format, "keepdims": self.keepdims}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, data_format={self.data_format!r}, keepdims={self.keepdims}"


class GlobalMaxPooling(GlobalPooling):
    """Global max pooling over any rank; see :class:`GlobalPooling`.

    >>> import numpy as np
    >>> GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]], "float32")).tolist()
    [[3.0, 5.0]]
    """

    pool_op = staticmethod(ops.global_max_pool)


class GlobalAveragePooling(GlobalPooling):
    """Global average pooling over any rank; see :class:`GlobalPooling`.

    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]], "float32")).tolist()
    [[2.0, 3.5]]
    """

    pool_op = staticmethod(ops.global_average_pool)


class GlobalMaxPooling1D(GlobalMaxPooling):
    """Global max over the steps of ``(batch, steps, channels)`` (Keras ``GlobalMaxPooling1D``).

    >>> import numpy as np
    >>> GlobalMaxPooling1D(keepdims=True)(np.zeros((2, 9, 3), "float32")).shape
    (2, 1, 3)
    """

    rank = 1


class GlobalMaxPooling2D(GlobalMaxPooling):
    """Global max over the rows and cols of ``(batch, rows, cols, channels)`` (Keras ``GlobalMaxPooling2D``).

    >>> import numpy as np
    >>> GlobalMaxPooling2D(data_format="channels_first")(np.zeros((2, 3, 5, 5), "float32")).shape
    (2, 3)
    """

    rank = 2


class GlobalMaxPooling3D(GlobalMaxPooling):
    """Global max over the three spatial dims of a 5-D input (Keras ``GlobalMaxPooling3D``).

    >>> import numpy as np
    >>> GlobalMaxPooling3D()(np.zeros((2, 3, 4, 5, 6), "float32")).shape
    (2, 6)
    """

    rank = 3


class GlobalAveragePooling1D(GlobalAveragePooling):
    """Global mean over the steps of ``(batch, steps, channels)`` (Keras ``GlobalAveragePooling1D``).

    >>> import numpy as np
    >>> GlobalAveragePooling1D(data_format="channels_first")(np.zeros((2, 9, 3), "float32")).shape
    (2, 9)
    """

    rank = 1


class GlobalAveragePooling2D(GlobalAveragePooling):
    """Global mean over the rows and cols of ``(batch, rows, cols, channels)`` (Keras ``GlobalAveragePooling2D``).

    >>> import numpy as np
    >>> GlobalAveragePooling2D(keepdims=True)(np.zeros((2, 5, 5, 3), "float32")).shape
    (2, 1, 1, 3)
    """

    rank = 2


class GlobalAveragePooling3D(GlobalAveragePooling):
    """Global mean over the three spatial dims of a 5-D input (Keras ``GlobalAveragePooling3D``).

    >>> import numpy as np
    >>> GlobalAveragePooling3D(data_format="channels_first", keepdims=True)(np.zeros((2, 3, 4, 5, 6), "float32")).shape
    (2, 3, 1, 1, 1)
    """

    rank = 3


GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D
