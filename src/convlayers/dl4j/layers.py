"""DL4J's convolution layers, each a core convolution with DL4J's settings, defaults and weight layouts.

========================  ======================  ===========================================  =========
DL4J class                core class              ``W`` (DL4J's layout)                        defaults
========================  ======================  ===========================================  =========
ConvolutionLayer          Conv2D                  ``[nOut, nIn, kH, kW]``                      k 5x5
Convolution1DLayer        Conv1D                  ``[nOut, nIn, k, 1]`` over a ``[k, nIn, nOut]``  k required
                                                  buffer (M1's reshape, reference 2.2)
Convolution3D             Conv3D                  ``[nOut, nIn, kD, kH, kW]``                  k 2x2x2
Deconvolution2D           Conv2DTranspose         ``[nIn, nOut, kH, kW]``                      k 5x5
Deconvolution3D           Conv3DTranspose         ``[kD, kH, kW, nOut, nIn]``                  k 2x2x2
DepthwiseConvolution2D    DepthwiseConv2D         ``[kH, kW, nIn, depthMultiplier]``           k 5x5
SeparableConvolution2D    SeparableConv2D         ``W [dm, nIn, kH, kW]``, ``pW [nOut, nIn*dm, 1, 1]``  k 5x5
========================  ======================  ===========================================  =========

Biases ``b`` are ``[nOut]``; the flattened parameter order is ``b`` then the weights (C order).

>>> import numpy as np
>>> from convlayers import dl4j
>>> layer = (dl4j.ConvolutionLayer.Builder(2, 2).stride(2, 2).nIn(1).nOut(2)
...          .activation(dl4j.Activation.SIGMOID).build())
>>> layer.build((None, 1, 8, 8)); layer.getParam("W").shape
(2, 1, 2, 2)
>>> layer.setParam("W", np.full((2, 1, 2, 2), 0.5)); layer.setParam("b", np.ones(2))
>>> x = np.repeat(np.array([1, 2, 3, 4, 1, 2, 3, 4], "float32")[:, None], 8, 1)[None, None]
>>> [round(float(v), 6) for v in layer(x)[0, 0, :, 0]]  # reference 5 row 19: 0.98201379, 0.99966465
[0.982014, 0.999665, 0.982014, 0.999665]
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from .. import layers as core
from ..layers.base import Shape
from .activations import activation
from .enums import CNN2DFormat, ConvolutionMode, DataFormat3D, RNNFormat
from .initializers import Fans
from .modes import check_same_padding, deconvolution_padding, padding_rule
from .translation import WEIGHT_SETTINGS, DL4JLayer, Param, Setting, enum, ints, permuted, reshaped

#: DL4J's data formats as the core's.
DATA_FORMATS = {
    CNN2DFormat.NCHW: "channels_first", CNN2DFormat.NHWC: "channels_last",
    RNNFormat.NCW: "channels_first", RNNFormat.NWC: "channels_last",
    DataFormat3D.NCDHW: "channels_first", DataFormat3D.NDHWC: "channels_last",
}
_TO_KERAS_2D = (2, 3, 1, 0)


def _window_settings(rank: int, kernel: Any) -> dict[str, Setting]:
    """``kernelSize, stride, padding, dilation, convolutionMode`` of a ``rank``-d layer (3-D: 1 or 3 values)."""
    if rank == 3:
        arrays = {"positive": ints(1, 3, expand={1: lambda v: v * 3}, positive=True),
                  "any": ints(1, 3, expand={1: lambda v: v * 3})}
    else:
        arrays = {"positive": ints(rank, positive=True), "any": ints(rank)}
    one = (1,) * rank
    return {
        "kernelSize": Setting(kernel, arrays["positive"]),
        "stride": Setting(one, arrays["positive"]),
        "padding": Setting((0,) * rank, arrays["any"]),
        "dilation": Setting(one, arrays["positive"]),
        "convolutionMode": Setting(None, enum(ConvolutionMode)),
    }


def conv_settings(rank: int, kernel: Any, format_setting: str = "dataFormat", formats: type = CNN2DFormat) -> dict[str, Setting]:
    """A convolution's settings: the window's, its data format (the first member is DL4J's default), the weights'."""
    return {
        **_window_settings(rank, kernel),
        format_setting: Setting(list(formats)[0], enum(formats)),
        **WEIGHT_SETTINGS,
    }


def _window_overloads(cls: type, rank: int, args: tuple[Any, ...]) -> dict[str, Any]:
    """``Builder(*kernel)``, ``(kernel, stride)``, ``(kernel, stride, padding)`` (3-D: ``, dilation)``)."""
    if not args:
        return {}
    if rank == 1:  # Builder(k), (k, s), (k, s, p): plain ints
        return dict(zip(("kernelSize", "stride", "padding"), args))
    if all(isinstance(a, int) for a in args):
        return {"kernelSize": args}
    names = ("kernelSize", "stride", "padding", "dilation")[: 4 if rank == 3 else 3]
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}.Builder takes (*kernel), or ({', '.join(names)}). Received {args!r}.")
    return dict(zip(names, args))


class _Convolution(DL4JLayer):
    """What DL4J's convolutions share: window settings, modes, formats, channel checks."""

    rank: ClassVar[int] = 2
    format_setting: ClassVar[str] = "dataFormat"
    #: Whether DL4J enforces Strict here (M1: not on 1-D layers, reference 2.2).
    enforce_strict: ClassVar[bool] = True
    #: Whether ``build()`` refuses padding with Same (``validateConvolutionModePadding``; not Deconvolution2D).
    same_takes_no_padding: ClassVar[bool] = True
    spec: Any

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return _window_overloads(cls, cls.rank, args)

    def check(self, values: dict[str, Any], owner: str) -> None:
        if values["kernelSize"] is None:
            raise ValueError(f"{owner}: the kernel size must be set (Builder(k) or .kernelSize(k)).")
        if self.same_takes_no_padding:
            check_same_padding(values["convolutionMode"], values["padding"], owner)

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        """Each kernel role's DL4J fans (in DL4J's layout)."""
        raise NotImplementedError

    def padding_rule(self, values: dict[str, Any]) -> Any:
        return padding_rule(values["convolutionMode"], values["padding"], rank=self.rank, owner=type(self).__name__,
                            enforce_strict=self.enforce_strict)

    def window(self, values: dict[str, Any]) -> dict[str, Any]:
        """The core's window, format, activation and bias keywords."""
        return {
            "kernel_size": values["kernelSize"],
            "strides": values["stride"],
            "dilation_rate": values["dilation"],
            "padding": self.padding_rule(values),
            "data_format": DATA_FORMATS[values[self.format_setting]],
            "activation": activation(values["activation"], type(self).__name__),
            "use_bias": values["hasBias"],
            **self.weight_options(values, self.fans(values)),
        }

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        if values["nOut"] is None:
            raise ValueError(f"{type(self).__name__}: nOut must be set (the number of output channels).")
        return {"filters": values["nOut"], **self.window(values)}

    def _stride_product(self) -> int:
        return math.prod(self.dl4j["stride"])

    def _check_input_shape(self, shape: Shape) -> None:
        self.check_channels(shape, 1 if self.spec.data_format == "channels_first" else len(shape) - 1)
        super()._check_input_shape(shape)  # type: ignore[misc]


class ConvolutionLayer(_Convolution, core.Conv2D):
    """DL4J's ``ConvolutionLayer`` (2-D convolution). See the module docstring.

    >>> ConvolutionLayer.Builder(3, 3).nOut(4).build().compute_output_shape((None, 1, 9, 9))
    (None, 4, 7, 7)
    """

    settings = conv_settings(2, (5, 5))
    params = (Param("b", "bias"), Param("W", "kernel", permuted(_TO_KERAS_2D)))

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"kernel": Fans(1, 0, (2, 3), math.prod(values["stride"]))}


class Convolution2D(ConvolutionLayer):
    """DL4J's ``Convolution2D``: the same layer as :class:`ConvolutionLayer`."""


class Convolution1DLayer(_Convolution, core.Conv1D):
    """DL4J's ``Convolution1DLayer`` over ``[N, C, L]`` (``rnnDataFormat`` NCW) or ``[N, L, C]`` (NWC).

    Strict sizes as Truncate (M1 does not enforce it on 1-D layers); Causal pads ``(k-1)*d`` at the start.

    >>> Convolution1DLayer.Builder(2).dilation(4).nOut(14).convolutionMode(ConvolutionMode.Causal).build().compute_output_shape((1, 64, 72))
    (1, 14, 72)
    """

    rank = 1
    format_setting = "rnnDataFormat"
    enforce_strict = False
    settings = conv_settings(1, None, "rnnDataFormat", RNNFormat)
    params = (Param("b", "bias"), Param("W", "kernel", reshaped(lambda s: (s[2], s[1], s[0], 1))))
    input_kind = "rnn"

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"kernel": Fans(1, 0, (2, 3), values["stride"][0])}


class Convolution1D(Convolution1DLayer):
    """DL4J's ``Convolution1D``: the same layer as :class:`Convolution1DLayer`."""


class Convolution3D(_Convolution, core.Conv3D):
    """DL4J's ``Convolution3D`` over ``NCDHW`` (default) or ``NDHWC``; k/s/p/d take 1 or 3 values.

    >>> Convolution3D.Builder().nOut(1).convolutionMode("Same").build().compute_output_shape((1, 1, 2, 2, 2))
    (1, 1, 2, 2, 2)
    """

    rank = 3
    DataFormat = DataFormat3D
    settings = conv_settings(3, (2, 2, 2), formats=DataFormat3D)
    params = (Param("b", "bias"), Param("W", "kernel", permuted((2, 3, 4, 1, 0))))
    input_kind = "cnn3d"

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"kernel": Fans(1, 0, (2, 3, 4), math.prod(values["stride"]))}


class Deconvolution2D(_Convolution, core.Conv2DTranspose):
    """DL4J's ``Deconvolution2D``: Same gives ``s * in``, else ``s(in-1) + eK - 2p`` (reference 1.4).

    >>> Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(3).build().compute_output_shape((None, 1, 28, 28))
    (None, 3, 56, 56)
    """

    same_takes_no_padding = False
    settings = conv_settings(2, (5, 5))
    params = (Param("b", "bias"), Param("W", "kernel", permuted(_TO_KERAS_2D)))

    def padding_rule(self, values: dict[str, Any]) -> Any:
        return deconvolution_padding(values["convolutionMode"], values["padding"], owner=type(self).__name__)

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"kernel": Fans(0, 1, (2, 3), math.prod(values["stride"]))}


class Deconvolution3D(_Convolution, core.Conv3DTranspose):
    """DL4J's ``Deconvolution3D`` (``Builder()`` only; its ``W`` is libnd4j's ``[kD, kH, kW, nOut, nIn]``).

    >>> Deconvolution3D.Builder().nOut(2).stride(2).build().compute_output_shape((None, 1, 3, 3, 3))
    (None, 2, 6, 6, 6)
    """

    rank = 3
    same_takes_no_padding = False
    settings = Convolution3D.settings
    params = (Param("b", "bias"), Param("W", "kernel"))
    input_kind = "cnn3d"
    padding_rule = Deconvolution2D.padding_rule

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return DL4JLayer.positional.__func__(cls, args)  # type: ignore[attr-defined]

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"kernel": Fans(4, 3, (0, 1, 2), math.prod(values["stride"]))}


class DepthwiseConvolution2D(_Convolution, core.DepthwiseConv2D):
    """DL4J's ``DepthwiseConvolution2D``: ``nOut`` is ``nIn * depthMultiplier`` (a given ``nOut`` is ignored).

    >>> DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2).build().compute_output_shape((None, 4, 9, 9))
    (None, 8, 7, 7)
    """

    settings = {**conv_settings(2, (5, 5)), "depthMultiplier": Setting(1, ints(1, positive=True))}
    params = (Param("b", "bias"), Param("W", "kernel"))

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"depth_multiplier": values["depthMultiplier"][0], **self.window(values)}

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"depthwise": Fans(2, 3, (0, 1), math.prod(values["stride"]))}


class SeparableConvolution2D(_Convolution, core.SeparableConv2D):
    """DL4J's ``SeparableConvolution2D``: depthwise ``W``, pointwise ``pW``, one bias after the pointwise step.

    >>> layer = SeparableConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(3).build()
    >>> layer.build((None, 1, 28, 28)); [layer.getParam(k).shape for k in ("W", "pW", "b")]
    [(2, 1, 2, 2), (3, 2, 1, 1), (3,)]
    """

    settings = DepthwiseConvolution2D.settings
    params = (Param("b", "bias"), Param("W", "depthwise_kernel", permuted(_TO_KERAS_2D)),
              Param("pW", "pointwise_kernel", permuted(_TO_KERAS_2D)))

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"depth_multiplier": values["depthMultiplier"][0], **super().translate(values)}

    def fans(self, values: dict[str, Any]) -> dict[str, Fans]:
        return {"depthwise": Fans(1, 0, (2, 3), math.prod(values["stride"])), "pointwise": Fans(1, 1)}
