"""Adaptive pooling (Keras 3.1x ``AdaptiveAveragePooling1D/2D/3D``, ``AdaptiveMaxPooling1D/2D/3D``): pool to a fixed output size.

Along an axis of ``n`` inputs pooled to ``m`` outputs, output ``i`` pools inputs
``floor(i * n / m)`` to ``ceil((i + 1) * n / m)`` (end excluded). Those are Keras's
windows (its two-pool gather: windows of ``ceil(n / m)`` and one more) and PyTorch's
(``adaptive_avg_pool``), which computes them here; windows overlap when ``m`` does not
divide ``n`` and repeat inputs when ``m > n``.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from ..geometry import normalize_positive_int
from .base import Shape
from .spatial import SpatialLayer

_AVERAGE = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_NAMES = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}


class AdaptivePooling(SpatialLayer):
    """Pools each spatial axis to ``output_size`` windows (see the module doc); ``rank`` and ``reduction`` set by subclasses.

    Args:
        output_size: an int (every axis) or a tuple of one positive int per spatial axis.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, *spatial, channels)`` (or channels first); output
    ``(batch, *output_size, channels)``.
    """

    reduction: str

    def __init__(self, output_size: int | tuple[int, ...], data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(output_size, (tuple, list)):
            if len(output_size) != self.rank:
                raise ValueError(
                    f"{self.owner}: `output_size` must be an int or a tuple of {self.rank} ints {_NAMES[self.rank]}. "
                    f"Received: output_size={output_size!r}."
                )
            sizes = tuple(normalize_positive_int(s, "output_size", self.owner) for s in output_size)
        elif isinstance(output_size, int) and not isinstance(output_size, bool):
            sizes = (normalize_positive_int(output_size, "output_size", self.owner),) * self.rank
        else:
            raise TypeError(
                f"{self.owner}: `output_size` must be an int or a tuple of {self.rank} ints {_NAMES[self.rank]}. "
                f"Received: output_size={output_size!r} of type {type(output_size).__name__}."
            )
        self.output_size = sizes

    def call(self, x: torch.Tensor) -> torch.Tensor:
        pool: Callable[..., Any] = (_AVERAGE if self.reduction == "average" else _MAX)[self.rank]
        channels_first = x.movedim(-1, 1) if self.channels_last else x
        y = pool(channels_first, self.output_size)
        y = y[0] if isinstance(y, tuple) else y
        return y.movedim(1, -1) if self.channels_last else y

    def compute_output_shape(self, input_shape: Any) -> Shape:
        """The input shape with the spatial sizes replaced by ``output_size``."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        lead, _, channels = self.split_shape(shape)
        return self.join_shape(lead, self.output_size, channels)

    def _config(self) -> dict[str, Any]:
        return {"output_size": self.output_size, "data_format": self.data_format}


class AdaptiveAveragePooling1D(AdaptivePooling):
    """Averages ``(batch, steps, channels)`` into ``output_size`` windows (Keras ``AdaptiveAveragePooling1D``).

    >>> import numpy as np
    >>> AdaptiveAveragePooling1D(2)(np.arange(5.0, dtype="float32").reshape(1, 5, 1)).ravel().tolist()
    [1.0, 3.0]
    """

    rank, reduction = 1, "average"


class AdaptiveAveragePooling2D(AdaptivePooling):
    """Averages images into an ``output_size`` grid of windows (Keras ``AdaptiveAveragePooling2D``).

    >>> import numpy as np
    >>> AdaptiveAveragePooling2D((1, 2))(np.arange(8.0, dtype="float32").reshape(1, 2, 4, 1)).ravel().tolist()
    [2.5, 4.5]
    """

    rank, reduction = 2, "average"


class AdaptiveAveragePooling3D(AdaptivePooling):
    """Averages volumes into an ``output_size`` grid of windows (Keras ``AdaptiveAveragePooling3D``).

    >>> import numpy as np
    >>> AdaptiveAveragePooling3D(1)(np.ones((2, 3, 4, 5, 6), "float32")).shape
    (2, 1, 1, 1, 6)
    """

    rank, reduction = 3, "average"


class AdaptiveMaxPooling1D(AdaptivePooling):
    """Takes the maximum of ``output_size`` windows of ``(batch, steps, channels)`` (Keras ``AdaptiveMaxPooling1D``).

    >>> import numpy as np
    >>> AdaptiveMaxPooling1D(3)(np.array([[[1.0], [5.0], [2.0], [0.0]]], "float32")).ravel().tolist()
    [5.0, 5.0, 2.0]
    """

    rank, reduction = 1, "max"


class AdaptiveMaxPooling2D(AdaptivePooling):
    """Takes the maximum of an ``output_size`` grid of windows (Keras ``AdaptiveMaxPooling2D``).

    >>> import numpy as np
    >>> AdaptiveMaxPooling2D((1, 2))(np.arange(8.0, dtype="float32").reshape(1, 2, 4, 1)).ravel().tolist()
    [5.0, 7.0]
    """

    rank, reduction = 2, "max"


class AdaptiveMaxPooling3D(AdaptivePooling):
    """Takes the maximum of an ``output_size`` grid of windows of volumes (Keras ``AdaptiveMaxPooling3D``).

    >>> import numpy as np
    >>> AdaptiveMaxPooling3D((1, 1, 2), data_format="channels_first")(np.ones((1, 2, 3, 3, 4), "float32")).shape
    (1, 2, 1, 1, 2)
    """

    rank, reduction = 3, "max"
