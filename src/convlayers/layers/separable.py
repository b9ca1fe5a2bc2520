"""Separable convolution: a depthwise convolution, then a 1x1 (pointwise) convolution; one N-d implementation."""

from __future__ import annotations

from typing import Any

import torch

from .. import activations, constraints, initializers, ops, regularizers
from ..geometry import PaddingLike, normalize_positive_int
from .base import Shape
from .conv import serialize_padding
from .depthwise import DepthwiseConv
from .weights import SpatialFirstKernel


class SeparableConv(DepthwiseConv):
    """N-d depthwise-separable convolution with Keras 3's arguments and exact numbers.

    The depthwise step uses the layer's strides, padding and dilation and no
    bias; the pointwise step is a 1x1 convolution to ``filters`` channels; then
    the bias, then the activation.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints (the depthwise window).
        strides, padding, data_format, dilation_rate, depth_multiplier: as in
            :class:`DepthwiseConv` (every padding form of the core, strides with dilation).
        activation: a Keras activation name, a callable, or ``None``.
        use_bias: add a learned bias of ``filters`` values.
        depthwise_initializer, pointwise_initializer, bias_initializer: Keras initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Keras regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: Keras constraints.

    Weights (Keras layout, in this order): ``depthwise_kernel``
    ``kernel_size + (channels, depth_multiplier)``, ``pointwise_kernel``
    ``(1,) * rank + (channels * depth_multiplier, filters)``, ``bias``
    ``(filters,)``. Input ``(batch, *spatial, channels)`` (or channels first);
    output ``(batch, *out_spatial, filters)``.
    """

    kernel_name = "depthwise_kernel"

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: PaddingLike = "valid",
        *,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_size,
            strides,
            padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.filters = normalize_positive_int(filters, "filters", self.owner)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def output_channels(self, channels: int | None) -> int:
        return self.filters

    def _build(self, input_shape: Shape) -> None:
        _, _, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self._add_depthwise_kernel(channels)
        self.add_weight(
            "pointwise_kernel",
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            layout=SpatialFirstKernel(self.rank),
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._add_bias(channels)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        x, lead = ops.flatten_batch(x, self.rank + 1)
        ones = (1,) * self.rank
        y = ops.conv(
            self.depthwise(x, None),
            self.pointwise_kernel,
            self.bias,
            pads=((0, 0),) * self.rank,
            strides=ones,
            dilation_rate=ones,
            groups=1,
            channels_last=self.channels_last,
        )
        return ops.unflatten_batch(self.activation(y), lead)

    def _config(self) -> dict[str, Any]:
        return {
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": serialize_padding(self.padding),
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"depth_multiplier={self.depth_multiplier}, strides={self.strides}, padding={self.padding!r}, "
            f"data_format={self.data_format!r}"
        )


class SeparableConv1D(SeparableConv):
    """1-D separable convolution over ``(batch, steps, channels)`` (Keras ``SeparableConv1D``); see :class:`SeparableConv`.

    >>> import numpy as np
    >>> SeparableConv1D(8, 3, depth_multiplier=2, padding="same")(np.zeros((2, 10, 4), "float32")).shape
    (2, 10, 8)
    """

    rank = 1


class SeparableConv2D(SeparableConv):
    """2-D separable convolution over ``(batch, rows, cols, channels)`` (Keras ``SeparableConv2D``); see :class:`SeparableConv`.

    >>> import numpy as np
    >>> layer = SeparableConv2D(16, 3, strides=2, padding="same", depth_multiplier=2)
    >>> layer(np.zeros((1, 28, 28, 3), "float32")).shape
    (1, 14, 14, 16)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (1, 1, 6, 16), (16,)]
    """

    rank = 2


class SeparableConv3D(SeparableConv):
    """3-D separable convolution over ``(batch, depth, rows, cols, channels)`` (beyond Keras); see :class:`SeparableConv`.

    >>> import numpy as np
    >>> SeparableConv3D(4, 3, padding="same")(np.zeros((1, 5, 5, 5, 2), "float32")).shape
    (1, 5, 5, 5, 4)
    """

    rank = 3


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
