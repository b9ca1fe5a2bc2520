"""Depthwise convolution: one N-d implementation, a convolution with ``groups = channels``."""

from __future__ import annotations

import torch

from .. import ops
from .arguments import DATA_FORMAT, ArgumentTable, padding, positive_int, weight_options
from .conv_base import DILATION_RATE, KERNEL_SIZE, STRIDES, ConvBase, Convolve

DEPTH_MULTIPLIER = positive_int("depth_multiplier", 1)


class DepthwiseBase(ConvBase):
    """The depthwise step shared by :class:`DepthwiseConv` and ``SeparableConv``.

    Its options are the ``depthwise_*`` arguments in both.
    """

    def _depthwise_kernel(self) -> torch.Tensor:
        """Keras calls it ``kernel`` in depthwise layers and ``depthwise_kernel`` in separable ones."""
        return self.kernel if self.spec_kind == "depthwise" else self.depthwise_kernel

    def depthwise(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> ops.ConvCall:
        """The depthwise convolution of ``rank + 2``-d inputs of ``sizes`` (batch, then spatial; in the user's layout).

        As ``ops.conv_call``: ``(x, kernel, bias, activation) -> y``.
        """
        return ops.conv_call(
            sizes, tuple(self._depthwise_kernel().shape), self.geometry.pads(sizes[1:]), self.strides,
            self.dilation_rate, self.input_channels, self.channels_last, device.type, dtype,
        )


class DepthwiseConv(DepthwiseBase):
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
            ``rank`` ints, ``rank`` ``(begin, end)`` pairs, or a padding rule
            from :mod:`convlayers.geometry` (``Same(extra_at="begin")``: Theano's;
            ``Strict``, ``Truncate``: DL4J's).
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

    spec_kind = "depthwise"
    arguments = ArgumentTable(
        KERNEL_SIZE,
        STRIDES,
        padding(),
        DEPTH_MULTIPLIER,
        DATA_FORMAT,
        DILATION_RATE,
        *weight_options(("depthwise", "glorot_uniform"), ("bias", "zeros")),
        config_first=("depth_multiplier",),
    )

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        run = self.depthwise(sizes, dtype, device)
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like
        return lambda x, activation: run(x, weights["kernel"], weights["bias"], activation)


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
