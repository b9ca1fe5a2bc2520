"""Depthwise convolution: one N-d implementation, a convolution with ``groups = channels``."""

from __future__ import annotations

from typing import Any

import torch

from .. import ops
from ..geometry import PaddingLike, WindowGeometry, normalize_positive_int, serialize_padding
from .conv_base import ConvBase, Convolve
from .weights import DepthwiseKernel


class DepthwiseBase(ConvBase):
    """The depthwise step shared by :class:`DepthwiseConv` and ``SeparableConv``.

    Keras calls the depthwise kernel ``kernel`` in depthwise layers and
    ``depthwise_kernel`` in separable ones (``kernel_name``); its options are
    the ``depthwise_*`` arguments in both.
    """

    kernel_name = "kernel"

    def _init_depthwise(self, kernel_size: Any, strides: Any, padding: Any, dilation_rate: Any, depth_multiplier: Any) -> None:
        self.depth_multiplier = normalize_positive_int(depth_multiplier, "depth_multiplier", self.owner)
        self.geometry = WindowGeometry(*self._normalize_window(kernel_size, strides, dilation_rate, padding))

    def _add_depthwise_kernel(self, channels: int) -> None:
        shape = self.kernel_size + (channels, self.depth_multiplier)
        self._add_role_weight("depthwise", self.kernel_name, shape, DepthwiseKernel(self.rank, self.depth_multiplier))

    def depthwise(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> ops.ConvCall:
        """The depthwise convolution of ``rank + 2``-d inputs of ``sizes`` (batch, then spatial; in the user's layout).

        As ``ops.conv_call``: ``(x, kernel, bias, activation) -> y``.
        """
        kernel = getattr(self, self.kernel_name)
        return ops.conv_call(
            sizes, tuple(kernel.shape), self.geometry.pads(sizes[1:]), self.strides, self.dilation_rate,
            self.input_channels, self.channels_last, device.type, dtype,
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

    weight_roles = ("depthwise", "bias")

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
        self._init_depthwise(kernel_size, strides, padding, dilation_rate, depth_multiplier)
        self._set_options(
            activation,
            use_bias,
            depthwise=(depthwise_initializer, depthwise_regularizer, depthwise_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
        )

    def output_channels(self, channels: int | None) -> int | None:
        """``channels * depth_multiplier`` (``None``: unknown)."""
        return None if channels is None else channels * self.depth_multiplier

    def _add_weights(self, channels: int) -> None:
        self._add_depthwise_kernel(channels)

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        run = self.depthwise(sizes, dtype, device)
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like
        return lambda x, activation: run(x, weights["kernel"], weights["bias"], activation)

    def _config(self) -> dict[str, Any]:
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": serialize_padding(self.geometry.padding),
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._options_config(),
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
