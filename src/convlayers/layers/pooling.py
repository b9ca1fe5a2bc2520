"""Max, average, sum and p-norm pooling: one N-d implementation; the 1D/2D/3D classes pin the rank and the reduction."""

from __future__ import annotations

from dataclasses import replace
from numbers import Real
from typing import Any, Callable

import torch

from .. import ops
from ..geometry import check_pool_pads, empty_windows
from .arguments import DATA_FORMAT, REQUIRED, Argument, ArgumentTable, Context, DeclaredArguments, int_tuple, padding
from .base import Shape
from .spec import PoolSpec
from .window import WindowLayer


def _exponent(value: Any, c: Context) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not value >= 1:
        raise ValueError(f"{c.owner}: the `p` argument (the p-norm's exponent) must be a number >= 1. Received p={value!r}.")
    return int(value) if float(value).is_integer() else float(value)


#: The p-norm's exponent: required by :class:`LPPooling`; ``None`` (no exponent) where a class pools several ways.
P = Argument("p", None, _exponent, in_config=lambda value: value is not None, in_repr=True)
#: Beyond Keras, so its config and repr carry it only where a window is dilated.
DILATION_RATE = replace(int_tuple("dilation_rate", 1, in_repr=False), in_config=lambda value: any(d != 1 for d in value))


class Pooling(DeclaredArguments, WindowLayer):
    """N-d pooling over sliding windows with Keras 3's arguments and TF's exact numbers.

    Subclasses pick the reduction (:class:`MaxPooling`, :class:`AveragePooling`, :class:`SumPooling`,
    :class:`LPPooling`) and the rank.

    Args:
        pool_size: int or ``rank`` ints (Keras: ``2`` per dim).
        strides: int, ``rank`` ints, or ``None`` for ``pool_size``.
        padding: ``'valid'``, ``'same'`` (TF's split: the extra pixel at the end),
            and beyond Keras ``'causal'``, ``'full'``, an int, ``rank`` ints, or
            ``rank`` ``(begin, end)`` pairs, or a padding rule from
            :mod:`convlayers.geometry`; each side smaller than the window's span
            ``(pool_size - 1) * dilation_rate + 1``.
            Padding never wins a max and is never counted in an average's divisor.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or ``rank`` ints (beyond Keras; ONNX's ``dilations``, DL4J's
            ``dilation``): the window's taps are ``dilation_rate`` apart. Default 1.

    Input ``(batch, *spatial, channels)`` (or channels first); output
    ``(batch, *out_spatial, channels)`` with the convolution's sizes
    (``ceil(n / s)`` for ``'same'``).
    """

    spec_type = PoolSpec
    spec: PoolSpec
    arguments = ArgumentTable(
        int_tuple("pool_size", 2),
        int_tuple("strides", None, when_none="pool_size"),
        padding(),
        DATA_FORMAT,
        DILATION_RATE,
        config_first=("pool_size", "padding"),
    )

    def spec_from_arguments(self, values: dict[str, Any]) -> PoolSpec:
        spec = PoolSpec.from_values(values, (), kind=self.spec_kind, rank=self.rank)
        check_pool_pads(spec.geometry.pads((None,) * self.rank), spec.pool_size, self.owner, spec.dilation_rate)
        return spec

    def _window_text(self, axis: int) -> str:
        dilation = self.spec.dilation_rate[axis]
        return f"pool_size={self.pool_size[axis]}" + (f", dilation_rate={dilation}" if dilation != 1 else "")

    def _check_window_fits(self, shape: Shape) -> None:
        super()._check_window_fits(shape)
        _, spatial, _ = self.split_shape(shape)
        windows = zip(spatial, self.geometry.pads(spatial), self.pool_size, self.strides, self.spec.dilation_rate)
        for axis, (size, pads, k, s, d) in enumerate(windows):
            if size is not None and pads is not None and empty_windows(size, k, s, pads, d):
                raise ValueError(
                    f"{self.owner}: along spatial dim {axis + 1} some window's taps all fall in the padding (input "
                    f"size {size}, padding {pads}, {self._window_text(axis)}, strides={s}): a dilated window "
                    f"steps over an input this short. Received input shape {shape}."
                )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(ops.static_sizes(x.shape), x.dtype, x.device)(x)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """``ops.pool_call`` for this shape: pads and torch's pooling plan resolved once."""
        _, spatial, _ = self.split_shape(shape)
        pads = self.geometry.pads(spatial)
        return ops.pool_call(self.spec.kind, spatial, self.pool_size, self.strides, pads, self.channels_last, dtype, device,
                             self.spec.dilation_rate, self.spec.p)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        lead, spatial, channels = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), channels)


class LPPooling(Pooling):
    """N-d p-norm pooling: ``(sum |x|^p)^(1/p)`` over each window (DL4J's ``PoolingType.PNORM``). See :class:`Pooling`.

    Padding adds nothing to a window's sum. Unlike torch's ``nn.LPPool*d`` (``(sum x^p)^(1/p)``
    computed as an average times the window size): the absolute value is taken, so odd ``p``
    and negative inputs give a norm, not the sign-carrying root of a signed sum; padding,
    ``'same'`` and dilation are accepted; an all-zero window's gradient is 0, not NaN.

    Args:
        p: the exponent, a number ``>= 1`` (``1``: sums of magnitudes; large ``p`` tends to the max of ``|x|``).
        pool_size, strides, padding, data_format, dilation_rate: as :class:`Pooling`.

    >>> import numpy as np
    >>> LPPooling1D(2, 2, padding="same")(np.array([[[3.0], [-4.0], [12.0]]], "float32"))[0, :, 0].tolist()
    [5.0, 12.0]
    """

    spec_kind = "pnorm"
    arguments = ArgumentTable(replace(P, default=REQUIRED), *Pooling.arguments.rows, config_first=("p", "pool_size", "padding"))


class LPPooling1D(LPPooling):
    """P-norm pooling over ``(batch, steps, channels)``; see :class:`LPPooling`.

    >>> import numpy as np
    >>> LPPooling1D(1, 3, strides=1)(-np.ones((2, 9, 3), "float32"))[0, :, 0].tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    """

    rank = 1


class LPPooling2D(LPPooling):
    """P-norm pooling over ``(batch, rows, cols, channels)`` (torch's ``LPPool2d``, with ``|x|``); see :class:`LPPooling`.

    >>> import numpy as np
    >>> LPPooling2D(2, data_format="channels_first")(np.ones((1, 1, 4, 4), "float32"))[0, 0].tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """

    rank = 2


class LPPooling3D(LPPooling):
    """P-norm pooling over ``(batch, depth, rows, cols, channels)``; see :class:`LPPooling`.

    >>> import numpy as np
    >>> LPPooling3D(3, (2, 1, 3), dilation_rate=(1, 2, 1))(np.ones((1, 3, 4, 6, 2), "float32")).shape
    (1, 1, 4, 2, 2)
    """

    rank = 3


class MaxPooling(Pooling):
    """N-d max pooling; padding holds ``-inf`` and never wins. See :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling1D(2, padding="same")(np.array([[[1.0], [2.0], [3.0]]], "float32"))[0, :, 0].tolist()
    [2.0, 3.0]
    """

    spec_kind = "max"


class AveragePooling(Pooling):
    """N-d average pooling; each window is divided by its count of real elements (TF). See :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling1D(2, padding="same")(np.array([[[1.0], [2.0], [3.0]]], "float32"))[0, :, 0].tolist()
    [1.5, 3.0]
    """

    spec_kind = "average"


class SumPooling(Pooling):
    """N-d sum pooling (beyond Keras; Wolfram's ``"Total"``): each window's real elements added. See :class:`Pooling`.

    >>> import numpy as np
    >>> SumPooling1D(2, padding="same")(np.array([[[1.0], [2.0], [3.0]]], "float32"))[0, :, 0].tolist()
    [3.0, 3.0]
    """

    spec_kind = "sum"


class SumPooling1D(SumPooling):
    """Sum pooling over ``(batch, steps, channels)``; see :class:`SumPooling`.

    >>> import numpy as np
    >>> SumPooling1D(3, strides=1)(np.ones((2, 9, 3), "float32"))[0, :, 0].tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    """

    rank = 1


class SumPooling2D(SumPooling):
    """Sum pooling over ``(batch, rows, cols, channels)``; see :class:`SumPooling`.

    >>> import numpy as np
    >>> SumPooling2D(data_format="channels_first")(np.ones((1, 1, 4, 4), "float32"))[0, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """

    rank = 2


class SumPooling3D(SumPooling):
    """Sum pooling over ``(batch, depth, rows, cols, channels)``; see :class:`SumPooling`.

    >>> import numpy as np
    >>> SumPooling3D((2, 1, 3), padding=((0, 1), 0, 0))(np.ones((1, 3, 4, 6, 2), "float32")).shape
    (1, 2, 4, 2, 2)
    """

    rank = 3


class MaxPooling1D(MaxPooling):
    """Max pooling over ``(batch, steps, channels)`` (Keras ``MaxPooling1D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling1D()(np.zeros((2, 9, 3), "float32")).shape
    (2, 4, 3)
    """

    rank = 1


class MaxPooling2D(MaxPooling):
    """Max pooling over ``(batch, rows, cols, channels)`` (Keras ``MaxPooling2D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling2D((3, 3), strides=2, padding="same")(np.zeros((1, 7, 8, 1), "float32")).shape
    (1, 4, 4, 1)
    """

    rank = 2


class MaxPooling3D(MaxPooling):
    """Max pooling over ``(batch, depth, rows, cols, channels)`` (Keras ``MaxPooling3D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> MaxPooling3D(data_format="channels_first")(np.zeros((1, 2, 4, 5, 6), "float32")).shape
    (1, 2, 2, 2, 3)
    """

    rank = 3


class AveragePooling1D(AveragePooling):
    """Average pooling over ``(batch, steps, channels)`` (Keras ``AveragePooling1D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling1D(3, strides=1)(np.zeros((2, 9, 3), "float32")).shape
    (2, 7, 3)
    """

    rank = 1


class AveragePooling2D(AveragePooling):
    """Average pooling over ``(batch, rows, cols, channels)`` (Keras ``AveragePooling2D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling2D(padding="same")(np.ones((1, 3, 3, 1), "float32"))[0, :, :, 0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    rank = 2


class AveragePooling3D(AveragePooling):
    """Average pooling over ``(batch, depth, rows, cols, channels)`` (Keras ``AveragePooling3D``); see :class:`Pooling`.

    >>> import numpy as np
    >>> AveragePooling3D((2, 1, 3))(np.zeros((1, 4, 4, 6, 2), "float32")).shape
    (1, 2, 4, 2, 2)
    """

    rank = 3


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
LPPool1D, LPPool2D, LPPool3D = LPPooling1D, LPPooling2D, LPPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
