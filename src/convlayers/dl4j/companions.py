"""DL4J's pooling, upsampling, padding, cropping, space-to-depth/batch, dense and loss layers over core layers.

Arrays are DL4J's: padding and cropping ``[top, bottom, left, right]`` (1 value: all
sides; 2: ``[a, a, b, b]``), 3-D ``[dL, dR, hL, hR, wL, wR]`` (1 or 3 values expand),
1-D ``[left, right]``; ``SpaceToBatchLayer`` padding ``[[top, bottom], [left, right]]``.

>>> import numpy as np
>>> from convlayers import dl4j
>>> x = np.array([1, 1, 3, 7, 5, 1, 3, 3, 2, 2, 8, 4, 2, 6, 4, 4], "float32").reshape(1, 1, 4, 4)
>>> dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.MAX, (2, 2)).build()(x).ravel().tolist()  # reference 5 row 34
[5.0, 7.0, 6.0, 8.0]
>>> dl4j.ZeroPaddingLayer.Builder(1, 2).build().compute_output_shape((None, 3, 5, 5))
(None, 3, 7, 9)
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from .. import layers as core
from ..layers.base import Shape
from ..layers.arguments import ArgumentTable
from ..layers.pooling import P
from .activations import activation
from .enums import Activation, CNN2DFormat, ConvolutionMode, DataFormat3D, LossFunction, PoolingType, RNNFormat
from .errors import DL4JInvalidConfigException
from .initializers import Fans
from .layers import DATA_FORMATS, _window_overloads, _window_settings
from .losses import per_example_score
from .modes import check_same_padding, padding_rule
from .translation import WEIGHT_SETTINGS, DL4JLayer, Param, Setting, enum, ints


def _format(formats: type) -> Setting:
    return Setting(list(formats)[0], enum(formats))


# -- pooling --------------------------------------------------------------------------------------
class _Subsampling(DL4JLayer, core.Pooling):
    """DL4J's pooling: MAX, AVG (padding excluded from the divisor) and PNORM (``pnorm``: the exponent, padding
    adding nothing), dilated by ``dilation``; SUM is refused when built (DL4J accepts it and fails when it runs)."""

    format_setting: ClassVar[str] = "dataFormat"
    enforce_strict: ClassVar[bool] = True
    #: The pooling types the layer runs (DL4J's 3-D pooling has no PNORM).
    kinds: ClassVar[dict[PoolingType, str]] = {PoolingType.MAX: "max", PoolingType.AVG: "average", PoolingType.PNORM: "pnorm"}
    spec_kind = "max"
    # One class pools every way: the p-norm's exponent is an argument, None for MAX and AVG.
    arguments = ArgumentTable(*core.Pooling.arguments.rows, P, config_first=core.Pooling.arguments.config_first)

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if args and isinstance(args[0], (PoolingType, str)):
            values["poolingType"], args = args[0], args[1:]
        return values | _window_overloads(cls, cls.rank, args) if args else values

    def check(self, values: dict[str, Any], owner: str) -> None:
        check_same_padding(values["convolutionMode"], values["padding"], owner)
        kind = values["poolingType"]
        if kind is PoolingType.PNORM and not values.get("pnorm"):
            raise DL4JInvalidConfigException(f"{owner}: p-norm must be set when using PoolingType.PNORM")
        if kind not in self.kinds:
            supported = ", ".join(k.value for k in self.kinds)
            raise DL4JInvalidConfigException(f"{owner}: PoolingType.{kind.value} pooling is not supported ({supported} are).")

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        # One DL4J class for every reduction: the core's kind is chosen per instance.
        self.spec_kind = self.kinds[values["poolingType"]]
        rule = padding_rule(values["convolutionMode"], values["padding"], rank=self.rank, owner=type(self).__name__,
                            enforce_strict=self.enforce_strict, family="pooling")
        return {"pool_size": values["kernelSize"], "strides": values["stride"], "padding": rule,
                "data_format": DATA_FORMATS[values[self.format_setting]], "dilation_rate": values["dilation"],
                "p": values["pnorm"] if self.spec_kind == "pnorm" else None}


def _pool_settings(rank: int, kernel: tuple[int, ...] | int, stride: tuple[int, ...] | int, formats: type,
                   format_setting: str = "dataFormat", mode: ConvolutionMode | None = None) -> dict[str, Setting]:
    window = _window_settings(rank, kernel)
    window["stride"] = Setting(stride, window["stride"].normalize)
    window["convolutionMode"] = Setting(mode, window["convolutionMode"].normalize)
    return {"poolingType": Setting(PoolingType.MAX, enum(PoolingType)), **window,
            "pnorm": Setting(None, lambda v, n, o: int(v)), format_setting: _format(formats)}


class SubsamplingLayer(_Subsampling):
    """DL4J's ``SubsamplingLayer`` (2-D pooling): MAX, kernel 1x1, stride 2x2 by default.

    >>> SubsamplingLayer.Builder(3, 3).stride(2, 2).convolutionMode("Same").build().compute_output_shape((5, 3, 3, 4))
    (5, 3, 2, 2)
    """

    rank = 2
    settings = _pool_settings(2, (1, 1), (2, 2), CNN2DFormat)


class Pooling2D(SubsamplingLayer):
    """DL4J's ``Pooling2D``: the same layer as :class:`SubsamplingLayer`."""


class Subsampling1DLayer(_Subsampling):
    """DL4J's ``Subsampling1DLayer`` over ``[N, C, L]``: MAX, kernel 2, stride 1 by default (Strict sized as Truncate)."""

    rank = 1
    input_kind = "rnn"
    enforce_strict = False
    format_setting = "rnnDataFormat"
    settings = _pool_settings(1, 2, 1, RNNFormat, "rnnDataFormat")


class Pooling1D(Subsampling1DLayer):
    """DL4J's ``Pooling1D``: the same layer as :class:`Subsampling1DLayer`."""


class Subsampling3DLayer(_Subsampling):
    """DL4J's ``Subsampling3DLayer``: MAX, kernel 1x1x1, stride 2x2x2 and mode **Same** by default (not the network's)."""

    rank = 3
    input_kind = "cnn3d"
    kinds = {PoolingType.MAX: "max", PoolingType.AVG: "average"}
    settings = _pool_settings(3, (1, 1, 1), (2, 2, 2), DataFormat3D, mode=ConvolutionMode.Same)


# -- upsampling, padding, cropping, blocks ------------------------------------------------------
class _Upsampling(DL4JLayer):
    takes_data_format = True  # the core's 1-D layers are channels-last only; DL4J's are NCW

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        if args and isinstance(args[0], (DataFormat3D, CNN2DFormat)):
            return {"dataFormat": args[0], **cls.positional(args[1:])}
        return {"size": args[0] if len(args) == 1 else args} if args else {}

    def check(self, values: dict[str, Any], owner: str) -> None:
        if values["size"] is None:
            raise DL4JInvalidConfigException(f"{owner}: the upsampling size must be set (Builder(size) or .size(size)).")

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        size = values["size"]
        return {"size": size[0] if self.rank == 1 else size, "data_format": DATA_FORMATS[values.get("dataFormat", RNNFormat.NCW)]}


def _equal_pair(values: tuple[int, ...]) -> tuple[int, ...]:
    if values[0] != values[1]:
        raise ValueError(f"When given a length 2 array for size, the values must be equal. Got: {list(values)}")
    return values[:1]


class Upsampling1D(_Upsampling, core.UpSampling1D):
    """DL4J's ``Upsampling1D`` over ``[N, C, L]``: each step repeated ``size`` times."""

    input_kind = "rnn"
    settings = {"size": Setting(None, ints(1, 2, expand={2: _equal_pair}, positive=True))}


class Upsampling2D(_Upsampling, core.UpSampling2D):
    """DL4J's ``Upsampling2D``: nearest-neighbour repetition by ``(sH, sW)``."""

    settings = {"size": Setting(None, ints(1, 2, expand={1: lambda v: v * 2}, positive=True)), "dataFormat": _format(CNN2DFormat)}


class Upsampling3D(_Upsampling, core.UpSampling3D):
    """DL4J's ``Upsampling3D`` (``Builder(size)`` or ``Builder(dataFormat, size)``)."""

    input_kind = "cnn3d"
    settings = {"size": Setting(None, ints(1, 3, expand={1: lambda v: v * 3}, positive=True)), "dataFormat": _format(DataFormat3D)}


def _pairs(values: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple(zip(values[::2], values[1::2]))


class _Sides(DL4JLayer):
    """Padding or cropping: one array setting of per-side values, DL4J's expansions."""

    takes_data_format = True
    key: ClassVar[str]
    core_key: ClassVar[str]

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return {cls.key: args[0] if len(args) == 1 else args} if args else {}

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        pairs = _pairs(values[self.key])
        return {self.core_key: pairs[0] if len(pairs) == 1 else pairs, "data_format": DATA_FORMATS[values.get("dataFormat", RNNFormat.NCW)]}


_EXPAND_2D = {1: lambda v: v * 4, 2: lambda v: (v[0], v[0], v[1], v[1])}
_EXPAND_3D = {1: lambda v: v * 6, 3: lambda v: (v[0], v[0], v[1], v[1], v[2], v[2])}


class ZeroPaddingLayer(_Sides, core.ZeroPadding2D):
    """DL4J's ``ZeroPaddingLayer``: ``Builder(topBottom, leftRight)`` or ``Builder(top, bottom, left, right)``."""

    key, core_key = "padding", "padding"
    settings = {"padding": Setting((0, 0, 0, 0), ints(1, 2, 4, expand=_EXPAND_2D)), "dataFormat": _format(CNN2DFormat)}


class ZeroPadding1DLayer(_Sides, core.ZeroPadding1D):
    """DL4J's ``ZeroPadding1DLayer`` over ``[N, C, L]``: ``Builder(p)`` or ``Builder(left, right)``."""

    input_kind = "rnn"
    key, core_key = "padding", "padding"
    settings = {"padding": Setting((0, 0), ints(1, 2, expand={1: lambda v: v * 2}))}


class ZeroPadding3DLayer(_Sides, core.ZeroPadding3D):
    """DL4J's ``ZeroPadding3DLayer`` (NCDHW): 1, 3 or 6 values."""

    input_kind = "cnn3d"
    key, core_key = "padding", "padding"
    settings = {"padding": Setting((0,) * 6, ints(1, 3, 6, expand=_EXPAND_3D))}


class Cropping1D(_Sides, core.Cropping1D):
    """DL4J's ``Cropping1D`` over ``[N, C, L]``: ``[start, end]``."""

    input_kind = "rnn"
    key, core_key = "cropping", "cropping"
    settings = {"cropping": Setting((0, 0), ints(1, 2, expand={1: lambda v: v * 2}))}


class Cropping2D(_Sides, core.Cropping2D):
    """DL4J's ``Cropping2D``: ``Builder(topBottom, leftRight)`` or ``Builder(top, bottom, left, right)``."""

    key, core_key = "cropping", "cropping"
    settings = {"cropping": Setting((0, 0, 0, 0), ints(1, 2, 4, expand=_EXPAND_2D)), "dataFormat": _format(CNN2DFormat)}


class Cropping3D(_Sides, core.Cropping3D):
    """DL4J's ``Cropping3D`` (NCDHW): 1, 3 or 6 values."""

    input_kind = "cnn3d"
    key, core_key = "cropping", "cropping"
    settings = {"cropping": Setting((0,) * 6, ints(1, 3, 6, expand=_EXPAND_3D))}


class SpaceToDepthLayer(DL4JLayer, core.SpaceToDepth):
    """DL4J's ``SpaceToDepthLayer``: ``Builder(blockSize[, dataFormat])``; TF's (DCR) channel order."""

    settings = {"blocks": Setting(None, ints(1, positive=True)), "dataFormat": _format(CNN2DFormat)}

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(("blocks", "dataFormat"), args))

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"block_size": values["blocks"][0], "data_format": DATA_FORMATS[values["dataFormat"]]}


def _block_padding(value: Any, name: str, owner: str) -> tuple[tuple[int, int], ...]:
    """``[[top, bottom], [left, right]]`` from DL4J's 1x2 (both dims), 2x1 (``[[a, a], [b, b]]``) or 2x2 forms."""
    rows = [tuple(int(v) for v in row) for row in value]
    if len(rows) == 1 and len(rows[0]) == 2:
        rows = rows * 2
    elif len(rows) == 2 and all(len(row) == 1 for row in rows):
        rows = [row * 2 for row in rows]
    if len(rows) != 2 or any(len(row) != 2 or min(row) < 0 for row in rows):
        raise ValueError(f"{owner}: `{name}` must be [[top, bottom], [left, right]] of ints >= 0. Received {name}={value!r}.")
    return tuple(rows)  # type: ignore[return-value]


class SpaceToBatchLayer(DL4JLayer, core.SpaceToBatch):
    """DL4J's ``SpaceToBatchLayer``: ``Builder(blocks[, padding])``; TF's ``space_to_batch_nd`` order."""

    settings = {"blocks": Setting(None, ints(2, positive=True)), "padding": Setting(((0, 0), (0, 0)), _block_padding),
                "dataFormat": _format(CNN2DFormat)}

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(("blocks", "padding"), args))

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"block_shape": values["blocks"], "paddings": values["padding"], "data_format": DATA_FORMATS[values["dataFormat"]]}


# -- dense and loss layers ------------------------------------------------------------------------
class DenseLayer(DL4JLayer, core.Dense):
    """DL4J's ``DenseLayer``: ``W [nIn, nOut]`` (flattened in F order, before ``b``)."""

    input_kind = "ff"
    settings = dict(WEIGHT_SETTINGS)
    params = (Param("W", "kernel", order="F"), Param("b", "bias"))

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        if values["nOut"] is None:
            raise ValueError(f"{type(self).__name__}: nOut must be set.")
        return {"units": values["nOut"], "activation": activation(values["activation"], type(self).__name__),
                "use_bias": values["hasBias"], **self.weight_options(values, {"kernel": Fans(0, 1)})}


class _Scored:
    """A layer that gives the network its score: DL4J's ``lossFunction`` over its output."""

    dl4j: dict[str, Any]
    channel_axis: ClassVar[int] = 1

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        return {"lossFunction": args[0]} if args else {}

    def score_examples(self, labels: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        """Each example's DL4J score (``lossFunction`` per output row, summed over the example's rows)."""
        return per_example_score(self.dl4j["lossFunction"], labels, output, self.channel_axis)


class OutputLayer(_Scored, DenseLayer):
    """DL4J's ``OutputLayer``: a dense layer scored with ``lossFunction`` (default ``MCXENT``)."""

    settings = {**DenseLayer.settings, "lossFunction": Setting(LossFunction.MCXENT, enum(LossFunction))}


class CnnLossLayer(_Scored, DL4JLayer, core.Activation):
    """DL4J's ``CnnLossLayer``: ``activation`` (default IDENTITY, not the network's) per pixel over the channels,
    scored per pixel with ``lossFunction`` (each example's score sums its pixels)."""

    settings = {"activation": Setting(Activation.IDENTITY, enum(Activation)),
                "lossFunction": Setting(LossFunction.MSE, enum(LossFunction)), "dataFormat": _format(CNN2DFormat)}

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        self.channel_axis = 1 if values["dataFormat"] is CNN2DFormat.NCHW else -1
        return {"activation": activation(values["activation"], type(self).__name__)}

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if self.activation.elementwise or self.channel_axis == -1:
            return self.activation(x)
        return self.activation(x.movedim(1, -1)).movedim(-1, 1)  # softmax-like: over the channels

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)
