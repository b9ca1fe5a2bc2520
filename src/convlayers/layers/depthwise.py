"""Depthwise convolution: one N-d implementation, a convolution with ``groups = channels``."""

from __future__ import annotations

from typing import Any

import torch

from .. import activations, constraints, initializers, ops, regularizers
from ..geometry import (
    PaddingLike,
    WindowGeometry,
    normalize_padding,
    normalize_positive_int,
    normalize_tuple,
)
from .base import Shape
from .channels import check_input_channels
from .conv import WindowLayer, serialize_padding
from .weights import DepthwiseKernel


class DepthwiseConv(WindowLayer):
    """N-d depthwise convolution with Keras 3's arguments and exact numbers.

    Each input channel ``c`` is convolved with its own ``depth_multiplier``
    filters; output channel ``c * depth_multiplier + m`` is channel ``c``'s
    ``m``-th filter (Keras's channel-major order). On the PyTorch side it is a
    convolution with ``groups`` equal to the number of input channels.

    Args:
        kernel_size: int or ``rank`` ints.
        strides: int or ``rank`` ints (may be combined with ``dilation_rate``, as Keras 3 allows here).
        padding: ``'valid'``, ``'same'`` (TF's split: extra pixel at the end),
            ``'causal'`` (all ``(k-1)*d`` at the beginning), ``'full'``, an int,
            ``rank`` ints, or ``rank`` ``(begin, end)`` pairs.
        depth_multiplier: filters per input channel.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or ``rank`` ints.
        activation: a Keras activation name, a callable, or ``None``.
        use_bias: add a learned bias of ``channels * depth_multiplier`` values.
        depthwise_initializer, bias_initializer: Keras initializers (fans of the
            Keras-layout kernel ``kernel_size + (channels, depth_multiplier)``:
            ``fan_in = prod(kernel_size) * channels``).
        depthwise_regularizer, bias_regularizer, activity_regularizer: Keras regularizers.
        depthwise_constraint, bias_constraint: Keras constraints.

    Weights (Keras layout): ``kernel`` ``kernel_size + (channels, depth_multiplier)``
    and ``bias`` ``(channels * depth_multiplier,)``. Input ``(batch, *spatial,
    channels)`` (or channels first), with any number of extra leading batch
    dims; output ``(batch, *out_spatial, channels * depth_multiplier)``.
    """

    extra_batch_dims = True
    #: Keras 3 calls the depthwise kernel ``kernel`` here and ``depthwise_kernel`` in separable layers.
    kernel_name = "kernel"

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: PaddingLike = "valid",
        *,
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, activity_regularizer=activity_regularizer, **kwargs)
        owner, rank = self.owner, self.rank
        self.depth_multiplier = normalize_positive_int(depth_multiplier, "depth_multiplier", owner)
        self.geometry = WindowGeometry(
            kernel_size=normalize_tuple(kernel_size, rank, "kernel_size", owner),
            strides=normalize_tuple(strides, rank, "strides", owner),
            dilation_rate=normalize_tuple(dilation_rate, rank, "dilation_rate", owner),
            padding=normalize_padding(padding, rank, owner),
        )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.register_parameter("bias", None)

    kernel_size = property(lambda self: self.geometry.kernel_size)
    strides = property(lambda self: self.geometry.strides)
    dilation_rate = property(lambda self: self.geometry.dilation_rate)
    padding = property(lambda self: self.geometry.padding)

    def output_channels(self, channels: int | None) -> int | None:
        """The number of output channels for ``channels`` input channels (``None``: unknown)."""
        return None if channels is None else channels * self.depth_multiplier

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
        check_input_channels(self, shape)
        self._check_window_fits(shape)

    def _build(self, input_shape: Shape) -> None:
        _, _, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self._add_depthwise_kernel(channels)
        self._add_bias(channels)

    def _add_depthwise_kernel(self, channels: int) -> None:
        self.add_weight(
            self.kernel_name,
            self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            layout=DepthwiseKernel(self.rank, self.depth_multiplier),
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )

    def _add_bias(self, channels: int) -> None:
        if self.use_bias:
            self.add_weight(
                "bias",
                (self.output_channels(channels),),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def depthwise(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """The depthwise convolution of a ``rank + 2``-d ``x`` (in the user's layout), plus ``bias``."""
        _, spatial, channels = self.split_shape(tuple(x.shape))
        return ops.conv(
            x,
            getattr(self, self.kernel_name),
            bias,
            pads=self.geometry.pads(spatial),
            strides=self.strides,
            dilation_rate=self.dilation_rate,
            groups=channels,
            channels_last=self.channels_last,
        )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        x, lead = ops.flatten_batch(x, self.rank + 1)
        return ops.unflatten_batch(self.activation(self.depthwise(x, self.bias)), lead)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_rank(shape)
        self._check_window_fits(shape)
        lead, spatial, channels = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), self.output_channels(channels))

    def _config(self) -> dict[str, Any]:
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": serialize_padding(self.padding),
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, kernel_size={self.kernel_size}, depth_multiplier={self.depth_multiplier}, "
            f"strides={self.strides}, padding={self.padding!r}, data_format={self.data_format!r}"
        )


class DepthwiseConv1D(DepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)`` (Keras ``DepthwiseConv1D``); see :class:`DepthwiseConv`.

    >>> import numpy as np
    >>> DepthwiseConv1D(3, depth_multiplier=2, padding="same")(np.zeros((2, 10, 4), "float32")).shape
    (2, 10, 8)
    """

    rank = 1


class DepthwiseConv2D(DepthwiseConv):
    """2-D depthwise convolution over ``(batch, rows, cols, channels)`` (Keras ``DepthwiseConv2D``); see :class:`DepthwiseConv`.

    >>> import numpy as np
    >>> layer = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
    >>> layer(np.zeros((1, 28, 28, 3), "float32")).shape
    (1, 14, 14, 6)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (6,)]
    """

    rank = 2


class DepthwiseConv3D(DepthwiseConv):
    """3-D depthwise convolution over ``(batch, depth, rows, cols, channels)`` (beyond Keras); see :class:`DepthwiseConv`.

    >>> import numpy as np
    >>> DepthwiseConv3D(2, data_format="channels_first")(np.zeros((1, 3, 4, 4, 4), "float32")).shape
    (1, 3, 3, 3, 3)
    """

    rank = 3
