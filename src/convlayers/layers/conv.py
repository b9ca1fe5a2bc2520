"""Convolution: one N-d implementation; ``Conv1D``/``Conv2D``/``Conv3D`` pin the rank."""

from __future__ import annotations

import torch

from .. import ops
from .arguments import ArgumentTable, groups, weight_options
from .conv_base import FILTERS_AND_WINDOW, ConvBase, Convolve


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

    spec_kind = "conv"
    arguments = ArgumentTable(
        *FILTERS_AND_WINDOW,
        groups(),
        *weight_options(("kernel", "glorot_uniform"), ("bias", "zeros")),
    )

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        run = ops.conv_call(
            sizes, tuple(self.kernel.shape), self.geometry.pads(sizes[1:]), self.strides, self.dilation_rate,
            self.groups, self.channels_last, device.type, dtype,
        )
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like
        return lambda x, activation: run(x, weights["kernel"], weights["bias"], activation)


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
