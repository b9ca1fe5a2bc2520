"""Separable convolution: a depthwise convolution, then a 1x1 (pointwise) convolution; one N-d implementation."""

from __future__ import annotations

import torch

from .. import activations, ops
from .arguments import ArgumentTable, weight_options
from .conv_base import FILTERS_AND_WINDOW, Convolve
from .depthwise import DEPTH_MULTIPLIER, DepthwiseBase


class SeparableConv(DepthwiseBase):
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

    spec_kind = "separable"
    arguments = ArgumentTable(
        *FILTERS_AND_WINDOW,
        DEPTH_MULTIPLIER,
        *weight_options(("depthwise", "glorot_uniform"), ("pointwise", "glorot_uniform"), ("bias", "zeros")),
        config_first=("depth_multiplier",),
    )

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        ones = (1,) * self.rank
        depthwise = self.depthwise(sizes, dtype, device)
        pointwise = ops.conv_call(
            sizes[:1] + self.geometry.output_sizes(sizes[1:]), tuple(self.pointwise_kernel.shape), ((0, 0),) * self.rank,
            ones, ones, 1, self.channels_last, device.type, dtype,
        )
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like

        def run(x: torch.Tensor, activation: activations.Activation | None) -> torch.Tensor:
            y = depthwise(x, weights["depthwise_kernel"], None, None)
            return pointwise(y, weights["pointwise_kernel"], weights["bias"], activation)

        return run


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
