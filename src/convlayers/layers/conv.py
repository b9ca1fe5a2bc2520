"""Convolution: one N-d implementation; ``Conv1D``/``Conv2D``/``Conv3D`` pin the rank."""

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
from .weights import SpatialFirstKernel
from .window import WindowLayer, serialize_padding


class Conv(WindowLayer):
    """N-d convolution (cross-correlation) with Keras 3's arguments and exact numbers.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints.
        strides: int or ``rank`` ints (may be combined with ``dilation_rate``).
        padding: ``'valid'``, ``'same'`` (TF's split: extra pixel at the end),
            ``'causal'`` (all ``(k-1)*d`` at the beginning), ``'full'``, an int,
            ``rank`` ints, or ``rank`` ``(begin, end)`` pairs.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or ``rank`` ints.
        groups: input and output channels split into this many independent groups.
        activation: a Keras activation name, a callable, or ``None``.
        use_bias: add a learned bias.
        kernel_initializer, bias_initializer: Keras initializer names, configs or callables.
        kernel_regularizer, bias_regularizer, activity_regularizer: Keras regularizers.
        kernel_constraint, bias_constraint: Keras constraints.

    Input ``(batch, *spatial, channels)`` (or channels first), with any number
    of extra leading batch dims; output ``(batch, *out_spatial, filters)``.
    """

    extra_batch_dims = True

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: PaddingLike = "valid",
        *,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, activity_regularizer=activity_regularizer, **kwargs)
        owner, rank = self.owner, self.rank
        self.filters = normalize_positive_int(filters, "filters", owner)
        self.groups = normalize_positive_int(groups, "groups", owner)
        if self.filters % self.groups:
            raise ValueError(
                f"{owner}: the number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={self.groups}, filters={self.filters}."
            )
        self.geometry = WindowGeometry(
            kernel_size=normalize_tuple(kernel_size, rank, "kernel_size", owner),
            strides=normalize_tuple(strides, rank, "strides", owner),
            dilation_rate=normalize_tuple(dilation_rate, rank, "dilation_rate", owner),
            padding=normalize_padding(padding, rank, owner),
        )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.register_parameter("bias", None)

    kernel_size = property(lambda self: self.geometry.kernel_size)
    strides = property(lambda self: self.geometry.strides)
    dilation_rate = property(lambda self: self.geometry.dilation_rate)
    padding = property(lambda self: self.geometry.padding)

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
        check_input_channels(self, shape, groups=self.groups)
        self._check_window_fits(shape)

    def _build(self, input_shape: Shape) -> None:
        _, _, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self.add_weight(
            "kernel",
            self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            layout=SpatialFirstKernel(self.rank),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                (self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        x, lead = ops.flatten_batch(x, self.rank + 1)
        _, spatial, _ = self.split_shape(tuple(x.shape))
        y = ops.conv(
            x,
            self.kernel,
            self.bias,
            pads=self.geometry.pads(spatial),
            strides=self.strides,
            dilation_rate=self.dilation_rate,
            groups=self.groups,
            channels_last=self.channels_last,
        )
        return ops.unflatten_batch(self.activation(y), lead)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_rank(shape)
        self._check_window_fits(shape)
        lead, spatial, _ = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), self.filters)

    def _config(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": serialize_padding(self.padding),
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"strides={self.strides}, padding={self.padding!r}, data_format={self.data_format!r}"
        )


class Conv1D(Conv):
    """1-D convolution over ``(batch, steps, channels)`` (Keras ``Conv1D``); see :class:`Conv`.

    >>> import numpy as np
    >>> Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 3), "float32")).shape
    (2, 10, 4)
    """

    rank = 1


class Conv2D(Conv):
    """2-D convolution over ``(batch, rows, cols, channels)`` (Keras ``Conv2D``); see :class:`Conv`.

    >>> import numpy as np
    >>> Conv2D(8, 3, strides=2, padding="same")(np.zeros((1, 28, 28, 1), "float32")).shape
    (1, 14, 14, 8)
    >>> Conv2D(2, 3)(np.zeros((4, 7, 28, 28, 3), "float32")).shape  # extra batch dims
    (4, 7, 26, 26, 2)
    """

    rank = 2


class Conv3D(Conv):
    """3-D convolution over ``(batch, depth, rows, cols, channels)`` (Keras ``Conv3D``); see :class:`Conv`.

    >>> import numpy as np
    >>> Conv3D(4, (3, 3, 3), data_format="channels_first")(np.zeros((1, 2, 8, 8, 8), "float32")).shape
    (1, 4, 6, 6, 6)
    """

    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
