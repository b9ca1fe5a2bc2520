"""Convolution: one N-d implementation; ``Conv1D``/``Conv2D``/``Conv3D`` pin the rank."""

from __future__ import annotations

from typing import Any

import torch

from .. import ops
from ..geometry import PaddingLike, WindowGeometry, serialize_padding
from .conv_base import ConvBase, Convolve
from .weights import SpatialFirstKernel


class Conv(ConvBase):
    """N-d convolution (cross-correlation) with Keras 3's arguments and exact numbers.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints.
        strides: int or ``rank`` ints (may be combined with ``dilation_rate``).
        padding: ``'valid'``, ``'same'`` (TF's split: extra pixel at the end),
            ``'causal'`` (all ``(k-1)*d`` at the beginning), ``'full'``, an int,
            ``rank`` ints, ``rank`` ``(begin, end)`` pairs, or a padding rule
            from :mod:`convlayers.geometry` (``Same(extra_at="begin")``: Theano's;
            ``Strict``, ``Truncate``: DL4J's).
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
        self.filters, self.groups = self._normalize_filters(filters, groups)
        self.geometry = WindowGeometry(*self._normalize_window(kernel_size, strides, dilation_rate, padding))
        self._set_options(
            activation,
            use_bias,
            kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
            bias=(bias_initializer, bias_regularizer, bias_constraint),
        )

    def _add_weights(self, channels: int) -> None:
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self._add_role_weight("kernel", "kernel", shape, SpatialFirstKernel(self.rank))

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        run = ops.conv_call(
            sizes, tuple(self.kernel.shape), self.geometry.pads(sizes[1:]), self.strides, self.dilation_rate,
            self.groups, self.channels_last, device.type, dtype,
        )
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like
        return lambda x, activation: run(x, weights["kernel"], weights["bias"], activation)

    def _config(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": serialize_padding(self.geometry.padding),
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            **self._options_config(),
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
