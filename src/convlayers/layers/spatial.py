"""Layers over N-d spatial inputs: data format, shape splitting and the rank check."""

from __future__ import annotations

from typing import Any

from ..geometry import normalize_data_format
from .base import Layer, Shape


class DataFormatLayer(Layer):
    """A layer with Keras's ``data_format`` argument: ``'channels_last'`` (default) or ``'channels_first'``."""

    def __init__(self, *, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.owner)

    @property
    def channels_last(self) -> bool:
        return self.data_format == "channels_last"


class SpatialLayer(DataFormatLayer):
    """A layer whose inputs are ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``.

    Subclasses set ``rank`` (the number of spatial dims). With
    ``extra_batch_dims`` the layer also takes inputs with more leading batch
    dims, as tf.keras 2's convolutions did: ``(4, 7, 28, 28, 3)`` through a 2-D
    layer is processed as 28 examples and reshaped back.
    """

    rank: int
    extra_batch_dims = False

    def _layout_text(self) -> str:
        spatial = ", ".join(f"spatial_{i + 1}" for i in range(self.rank))
        return f"(batch, {spatial}, channels)" if self.channels_last else f"(batch, channels, {spatial})"

    def _check_rank(self, shape: Shape) -> None:
        ndim, expected = len(shape), self.rank + 2
        if ndim == expected or (self.extra_batch_dims and ndim > expected):
            return
        allowed = f"at least {expected}" if self.extra_batch_dims else f"{expected}"
        raise ValueError(
            f"{self.owner}: expected an input of rank {allowed} {self._layout_text()} "
            f"with data_format={self.data_format!r}; received an input of shape {shape} (rank {ndim})."
        )

    def split_shape(self, shape: Shape) -> tuple[Shape, Shape, int | None]:
        """``(leading batch dims, spatial dims, channels)`` of an input shape."""
        example = shape[len(shape) - self.rank - 1 :]
        lead = shape[: len(shape) - self.rank - 1]
        if self.channels_last:
            return lead, example[:-1], example[-1]
        return lead, example[1:], example[0]

    def join_shape(self, lead: Shape, spatial: Shape, channels: int | None) -> Shape:
        """The inverse of :meth:`split_shape`."""
        if self.channels_last:
            return tuple(lead) + tuple(spatial) + (channels,)
        return tuple(lead) + (channels,) + tuple(spatial)

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
