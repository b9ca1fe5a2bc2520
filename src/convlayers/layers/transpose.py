"""Transposed convolution: one N-d implementation; ``Conv1DTranspose``/``2D``/``3D`` pin the rank."""

from __future__ import annotations

from dataclasses import replace

import torch

from .. import activations, ops
from ..geometry import normalize_transpose_padding
from .arguments import DATA_FORMAT, OUTPUT_PADDING, ArgumentTable, groups, padding, weight_options
from .base import Shape
from .conv_base import DILATION_RATE, FILTERS, KERNEL_SIZE, STRIDES, ConvBase, Convolve


#: Keras's 'valid' and 'same', explicit crops, or Keras 1's requested sizes (:class:`~convlayers.geometry.OutputSize`).
TRANSPOSE_PADDING = replace(padding(), normalize=lambda value, c: normalize_transpose_padding(value, c.rank, c.owner))


class ConvTranspose(ConvBase):
    """N-d transposed convolution with Keras 3's arguments, output sizes and alignment, exactly.

    The result is a window of the *natural* output (the kernel scattered at
    every input position, ``stride`` apart: ``(L - 1) * s + (k - 1) * d + 1``
    long), zero-filled past its end, plus the bias, then the activation. The
    kernel is not flipped: it is the kernel of the convolution this layer is
    the adjoint of.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints.
        strides: int or ``rank`` ints (may be combined with ``dilation_rate``: beyond Keras).
        padding: ``'valid'`` or ``'same'`` with Keras's lengths (keras.md 2.5,
            including ``'same'`` with ``output_padding=0`` and an even
            effective kernel, where Keras-JAX returns ``(L - 1) * s``); or,
            beyond Keras, explicit cropping of the natural output: an int,
            ``rank`` ints or ``rank`` ``(begin, end)`` pairs (``padding=p`` is
            PyTorch's ``ConvTranspose(padding=p)``).
        output_padding: ``None`` or an int or ``rank`` ints, each ``< strides``:
            extra length at the end of each dim (zeros past the natural output).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or ``rank`` ints.
        groups: beyond Keras: input and output channels split into this many
            independent groups; both must be divisible by it.
        activation: a Keras activation name, a callable, or ``None``.
        use_bias: add a learned bias.
        kernel_initializer, bias_initializer: Keras initializers (transposed fans:
            ``fan_in = prod(kernel_size) * filters / groups``, ``fan_out = prod(kernel_size) * in_channels``).
        kernel_regularizer, bias_regularizer, activity_regularizer: Keras regularizers.
        kernel_constraint, bias_constraint: Keras constraints.

    Weights (Keras layout): ``kernel`` ``kernel_size + (filters // groups,
    in_channels)``, the kernel of the adjoint convolution from ``filters`` to
    ``in_channels`` channels (Keras's layout when ``groups=1``; stored as
    PyTorch's ``(in_channels, filters // groups, *kernel_size)``), and ``bias``
    ``(filters,)``. Input ``(batch, *spatial, in_channels)`` (or channels
    first), with any number of extra leading batch dims; output ``(batch,
    *out_spatial, filters)``.
    """

    spec_kind = "transpose"
    arguments = ArgumentTable(
        FILTERS,
        KERNEL_SIZE,
        STRIDES,
        TRANSPOSE_PADDING,
        OUTPUT_PADDING,
        DATA_FORMAT,
        DILATION_RATE,
        *weight_options(("kernel", "glorot_uniform"), ("bias", "zeros")),
        # Beyond Keras 3, so last (Keras's positional arguments keep their places), and written to the
        # config only when used (Keras-expressible configs stay loadable by Keras).
        groups(in_config=lambda value: value != 1),
    )

    def _check_fits(self, shape: Shape) -> None:
        """The kept window must hold at least one position along every dim.

        Explicit crops can remove everything; so can Keras's ``'same'`` with
        ``output_padding=0``, an even effective kernel and a length-1 input
        (``(L - 1) * s = 0``).
        """
        _, spatial, _ = self.split_shape(shape)
        self.geometry.check_sizes(spatial, self.owner)
        natural = self.geometry.natural_sizes(spatial)
        for axis, (size, full, out) in enumerate(zip(spatial, natural, self.geometry.output_sizes(spatial))):
            if out is not None and out <= 0:
                raise ValueError(
                    f"{self.owner}: the output would be empty along spatial dim {axis + 1}: input size {size} "
                    f"gives a natural output of {full} (kernel_size={self.kernel_size[axis]}, "
                    f"strides={self.strides[axis]}, dilation_rate={self.dilation_rate[axis]}), and "
                    f"padding={self.padding!r} with output_padding={self.output_padding} leaves {out}. "
                    f"Received input shape {shape}."
                )

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        run = ops.conv_transpose_call(
            sizes[1:], tuple(self.kernel.shape), self.geometry.windows(sizes[1:]), self.strides, self.dilation_rate,
            self.groups, self.channels_last, device.type, dtype,
        )
        weights = self._parameters  # read at each call: set_weights, load_state_dict(assign=True) and the like

        def convolve(x: torch.Tensor, activation: activations.Activation | None) -> torch.Tensor:
            y = run(x, weights["kernel"], weights["bias"])
            return y if activation is None else activation(y)

        return convolve


class Conv1DTranspose(ConvTranspose):
    """1-D transposed convolution over ``(batch, steps, channels)`` (Keras ``Conv1DTranspose``); see :class:`ConvTranspose`.

    >>> import numpy as np
    >>> Conv1DTranspose(5, 2, strides=3, padding="same", output_padding=2)(np.zeros((2, 8, 4), "float32")).shape
    (2, 23, 5)
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """2-D transposed convolution over ``(batch, rows, cols, channels)`` (Keras ``Conv2DTranspose``); see :class:`ConvTranspose`.

    >>> import numpy as np
    >>> Conv2DTranspose(2, 7, strides=16)(np.zeros((1, 14, 14, 2), "float32")).shape
    (1, 224, 224, 2)
    >>> layer = Conv2DTranspose(8, 3, strides=2, padding=1, output_padding=1)  # PyTorch's padding
    >>> layer(np.zeros((1, 5, 5, 4), "float32")).shape, layer.get_weights()[0].shape
    ((1, 10, 10, 8), (3, 3, 8, 4))
    """

    rank = 2


class Conv3DTranspose(ConvTranspose):
    """3-D transposed convolution over ``(batch, depth, rows, cols, channels)`` (Keras ``Conv3DTranspose``); see :class:`ConvTranspose`.

    >>> import numpy as np
    >>> Conv3DTranspose(6, (2, 2, 3), strides=(2, 1, 2))(np.zeros((2, 8, 8, 8, 4), "float32")).shape
    (2, 16, 9, 17, 6)
    """

    rank = 3


Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
Deconvolution2D, Deconvolution3D = Conv2DTranspose, Conv3DTranspose
