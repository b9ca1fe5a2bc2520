"""Upsampling: one N-d implementation; ``UpSampling1D``/``2D``/``3D`` pin the rank and its modes."""

from __future__ import annotations

from typing import Any

import torch

from .. import ops
from ..geometry import normalize_positive_int, normalize_tuple, upsampled_sizes
from .base import Shape
from .reshaping import ReshapingLayer

#: Each ``interpolation`` name and the :func:`convlayers.ops.upsample` method that computes it.
INTERPOLATIONS = {
    "nearest": "nearest",
    # TF's box filter: over an integer-factor upsampling each output covers exactly one input.
    "area": "nearest",
    "bilinear": "linear",
    "trilinear": "linear",
    "bicubic": "cubic",
    "lanczos3": "lanczos3",
    "lanczos5": "lanczos5",
    "gaussian": "gaussian",
    "mitchellcubic": "mitchellcubic",
}


class UpSampling(ReshapingLayer):
    """Upsample the spatial dims of N-d inputs by integer factors (Keras ``UpSampling1D/2D/3D``).

    Args:
        size: the factor per spatial dim: an int, or ``rank`` ints (2-D and
            3-D); ``UpSampling1D`` takes only an int, as in Keras 3.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``
            (2-D and 3-D only; ``UpSampling1D`` always takes ``(batch, steps, features)``).
        interpolation: case-insensitive, one of the rank's ``interpolations``:
            ``'nearest'`` everywhere; in 2-D also ``'bilinear'``, ``'bicubic'``
            (TF's Keys cubic, ``a = -0.5``, offsets quantised to 1/1024),
            ``'lanczos3'``, ``'lanczos5'``, ``'area'`` (as nearest for integer
            factors) and tf.keras 2's ``'gaussian'`` and ``'mitchellcubic'``
            (smoothing filters: like TF they blur even along a factor-1 axis);
            in 3-D also ``'trilinear'`` (beyond Keras). Half-pixel centres; taps
            outside the input are dropped and the weights renormalised.

    Input ``(batch, *spatial, channels)`` (or channels first), of exactly rank
    ``rank + 2``; output ``(batch, *(size * factor), channels)``. Floating
    inputs take the layer's dtype (Keras's autocast); ``'nearest'`` keeps
    integer dtypes, every other mode computes them in the layer's dtype.
    """

    rank: int
    #: The ``interpolation`` values this rank accepts.
    interpolations: tuple[str, ...] = ("nearest",)
    #: Whether Keras's config of this rank always lists ``interpolation``.
    interpolation_in_config = False

    def __init__(
        self,
        size: int | tuple[int, ...] = 2,
        *,
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        owner = self.owner
        if self.rank == 1:
            # Keras 3's UpSampling1D takes a plain positive int and nothing else.
            self.size = (normalize_positive_int(size, "size", owner),)
        else:
            self.size = normalize_tuple(size, self.rank, "size", owner)
        mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if mode not in self.interpolations:
            raise ValueError(
                f"{owner}: invalid value for argument `interpolation`. Expected one of "
                f"{self.interpolations}. Received interpolation={interpolation!r}."
            )
        self.interpolation = mode
        self.method = INTERPOLATIONS[mode]

    @property
    def casts_inputs(self) -> bool:  # type: ignore[override]
        """Only ``'nearest'`` keeps integer dtypes: Keras repeats there, and resizes (to floats) otherwise."""
        return self.interpolation != "nearest"

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return ops.upsample(self.autocast(x), self.size, method=self.method, channels_last=self.channels_last)

    def output_sizes(self, spatial: Shape) -> Shape:
        return upsampled_sizes(spatial, self.size)

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"size": self.size[0] if self.rank == 1 else self.size}
        if self.takes_data_format:
            config["data_format"] = self.data_format
        # Beyond-Keras modes (UpSampling3D's 'trilinear') must survive a round trip.
        if self.interpolation_in_config or self.interpolation != "nearest":
            config["interpolation"] = self.interpolation
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, size={self.size}, data_format={self.data_format!r}, "
            f"interpolation={self.interpolation!r}"
        )


class UpSampling1D(UpSampling):
    """Repeat each step of ``(batch, steps, features)`` ``size`` times (Keras ``UpSampling1D``).

    >>> import numpy as np
    >>> UpSampling1D(3)(np.array([[[1], [2]]])).ravel().tolist()
    [1, 1, 1, 2, 2, 2]
    """

    rank = 1
    takes_data_format = False


class UpSampling2D(UpSampling):
    """Upsample rows and columns (Keras ``UpSampling2D``, with TF's filters); see :class:`UpSampling`.

    >>> import numpy as np
    >>> x = np.array([[[[0.0], [1.0]]]], "float32")  # (batch, 1 row, 2 cols, 1 channel)
    >>> UpSampling2D((1, 2), interpolation="bilinear")(x).ravel().tolist()
    [0.0, 0.25, 0.75, 1.0]
    """

    rank = 2
    interpolations = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area", "gaussian", "mitchellcubic")
    interpolation_in_config = True


class UpSampling3D(UpSampling):
    """Upsample depth, rows and columns (Keras ``UpSampling3D``, plus ``'trilinear'``); see :class:`UpSampling`.

    >>> import numpy as np
    >>> UpSampling3D((1, 2, 3), data_format="channels_first")(np.zeros((1, 2, 3, 4, 5), "float32")).shape
    (1, 2, 3, 8, 15)
    """

    rank = 3
    interpolations = ("nearest", "trilinear")
