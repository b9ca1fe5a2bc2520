"""DL4J's ``LocallyConnected1D`` / ``LocallyConnected2D`` (reference 2.16) over the core locally connected layers.

DL4J's ``W`` is ``[positions, nIn * prod(kernel), nOut]`` with each row's features channel-major
(``c * kH * kW + a * kW + b``): the core's channels-first kernel as it is. Its bias ``b`` is one
``[nOut]`` vector shared by every position (Keras's is per position). The parameters flatten as
``W`` then ``b``: a SameDiff layer lists its weight parameters before its bias parameters.

Left out (each refused with DL4J's layer named): a dilation other than 1 (DL4J sizes the output
with it but ignores it when slicing) and NHWC. The positions follow Keras's row-major order, not
M1's column-major walk (reference 2.16's "position -> weight-row quirk"); square outputs differ
from M1's by that transpose.

>>> from convlayers import dl4j
>>> layer = dl4j.LocallyConnected2D.Builder().nIn(3).nOut(16).kernelSize(8, 8).stride(4, 4).build()
>>> layer.build((None, 3, 28, 28)); layer.getParam("W").shape, layer.getParam("b").shape  # Same: ceil(28/4) = 7
((49, 192, 16), (16,))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import layers as core
from ..layers.spec import WeightSpec
from .enums import Activation, CNN2DFormat, ConvolutionMode, RNNFormat
from .errors import DL4JInvalidConfigException
from .layers import _Convolution, _window_settings
from .translation import WEIGHT_SETTINGS, Param, Setting, enum

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LocalFans:
    """DL4J's fans of a locally connected ``W [positions, nIn * window, nOut]``: ``fanIn = nIn * window``,
    ``fanOut = nOut * window / stride_product`` (the conv layers' fans, per position)."""

    window: int
    stride_product: int

    def of(self, shape: Shape) -> tuple[float, float]:
        return shape[1], shape[2] * self.window / self.stride_product


def _local_settings(rank: int) -> dict[str, Setting]:
    settings = {**_window_settings(rank, (2,) * rank), **WEIGHT_SETTINGS}
    # DL4J's builders start from Same and TANH, not the network's Truncate and SIGMOID.
    settings["convolutionMode"] = Setting(ConvolutionMode.Same, enum(ConvolutionMode))
    settings["activation"] = Setting(Activation.TANH, enum(Activation))
    return settings


class _LocallyConnected(_Convolution):
    """What DL4J's two locally connected layers share."""

    params = (Param("W", "kernel"), Param("b", "bias"))
    dl4j: dict[str, Any]

    def check(self, values: dict[str, Any], owner: str) -> None:
        super().check(values, owner)
        if any(d != 1 for d in values["dilation"]):
            raise DL4JInvalidConfigException(
                f"{owner}: dilation other than 1 is not supported (DL4J sizes the output with it but ignores it when "
                f"slicing). Received dilation={list(values['dilation'])}."
            )
        fmt = values[self.format_setting]
        if fmt not in (CNN2DFormat.NCHW, RNNFormat.NCW):  # the channels-last W would need its features reordered
            raise DL4JInvalidConfigException(f"{owner}: only NCHW / NCW inputs are supported. Received {self.format_setting}={fmt.name}.")

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        keywords = super().translate(values)
        del keywords["dilation_rate"]  # the core layer has none (checked to be 1 above)
        return keywords

    def fans(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"kernel": LocalFans(math.prod(values["kernelSize"]), math.prod(values["stride"]))}

    def dialect_weight(self, weight: WeightSpec) -> WeightSpec:
        if weight.role == "bias":  # one bias per filter, shared by the positions (broadcast by the op)
            return WeightSpec("bias", "bias", (self.dl4j["nOut"],))
        return super().dialect_weight(weight)


class LocallyConnected1D(_LocallyConnected, core.LocallyConnected1D):
    """DL4J's ``LocallyConnected1D`` over ``[N, nIn, L]``: defaults kernel 2, stride 1, Same, TANH.

    >>> LocallyConnected1D.Builder().nOut(4).kernelSize(3).build().compute_output_shape((None, 2, 7))
    (None, 4, 7)
    """

    rank = 1
    format_setting = "rnnDataFormat"
    input_kind = "rnn"
    settings = {**_local_settings(1), "rnnDataFormat": Setting(RNNFormat.NCW, enum(RNNFormat))}



class LocallyConnected2D(_LocallyConnected, core.LocallyConnected2D):
    """DL4J's ``LocallyConnected2D`` over NCHW: defaults kernel 2x2, stride 1x1, Same, TANH.

    >>> LocallyConnected2D.Builder().nOut(16).kernelSize(8, 8).stride(4, 4).convolutionMode("Strict").build(
    ...     ).compute_output_shape((None, 3, 28, 28))
    (None, 16, 6, 6)
    """

    settings = {**_local_settings(2), "dataFormat": Setting(CNN2DFormat.NCHW, enum(CNN2DFormat))}
