"""What Keras's weightless reshaping layers (cropping, zero padding, upsampling) share."""

from __future__ import annotations

from typing import Any

import torch

from .base import Shape
from .spatial import SpatialLayer


class ReshapingLayer(SpatialLayer):
    """A weightless spatial layer that moves, adds or repeats elements.

    Two Keras habits live here: inputs are autocast as Keras does (floating
    inputs take the layer's compute dtype, integer and bool inputs are kept), and the
    1-D layers Keras gives no ``data_format`` (``takes_data_format = False``)
    refuse one as an unknown keyword.

    >>> import numpy as np
    >>> from convlayers import ZeroPadding1D
    >>> [ZeroPadding1D()(np.ones((1, 2, 1), dtype)).dtype.name for dtype in ("float64", "int8")]
    ['float32', 'int8']
    """

    #: Whether Keras gives this layer a ``data_format`` argument.
    takes_data_format = True
    # Integer inputs must survive the base class; floating ones are cast in `autocast`.
    casts_inputs = False

    def __init__(self, *, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format if self.takes_data_format else None, **kwargs)
        if data_format is not None and not self.takes_data_format:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: ['data_format']. "
                f"{self.owner} has no `data_format`: its inputs are always (batch, steps, features). "
                f"Received data_format={data_format!r}."
            )

    def autocast(self, x: torch.Tensor) -> torch.Tensor:
        """Keras's input autocast: a floating ``x`` takes the layer's compute dtype, anything else is kept."""
        compute = self.dtype_policy.compute_torch_dtype
        return x.to(compute) if x.is_floating_point() and x.dtype != compute else x

    def output_sizes(self, spatial: Shape) -> Shape:
        """The output's spatial sizes for input spatial sizes ``spatial`` (``None`` stays unknown)."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape``, checked as a call would check it."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        lead, spatial, channels = self.split_shape(shape)
        return self.join_shape(lead, self.output_sizes(spatial), channels)
