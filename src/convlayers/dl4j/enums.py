"""DL4J's enums: ``ConvolutionMode``, data formats, ``PoolingType``, ``Activation``, ``WeightInit``, ``LossFunction``.

Each member's value is DL4J's own spelling (what ``configuration.json`` stores), so
``ConvolutionMode("Same")`` and ``Activation("RELU")`` read a file's settings, and
:func:`enum_value` accepts either form.

>>> ConvolutionMode("Same") is ConvolutionMode.Same, Activation.RELU.value
(True, 'RELU')
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

E = TypeVar("E", bound=Enum)


class ConvolutionMode(str, Enum):
    """How a window layer pads and sizes its output (reference 1.1-1.4)."""

    Strict = "Strict"
    Truncate = "Truncate"
    Same = "Same"
    Causal = "Causal"


class CNN2DFormat(str, Enum):
    """2-D activations: ``NCHW`` (DL4J's default) or ``NHWC``."""

    NCHW = "NCHW"
    NHWC = "NHWC"


class RNNFormat(str, Enum):
    """1-D (sequence) activations: ``NCW`` (DL4J's default) or ``NWC``."""

    NCW = "NCW"
    NWC = "NWC"


class DataFormat3D(str, Enum):
    """3-D activations (``Convolution3D.DataFormat``): ``NCDHW`` (default) or ``NDHWC``."""

    NCDHW = "NCDHW"
    NDHWC = "NDHWC"


class PoolingType(str, Enum):
    """``SubsamplingLayer``'s reduction (SUM is accepted by DL4J's config and refused when the layer runs)."""

    MAX = "MAX"
    AVG = "AVG"
    SUM = "SUM"
    PNORM = "PNORM"


class Activation(str, Enum):
    """DL4J's activation functions (``org.nd4j.linalg.activations.Activation``), those a CNN uses."""

    CUBE = "CUBE"
    ELU = "ELU"
    GELU = "GELU"
    HARDSIGMOID = "HARDSIGMOID"
    HARDTANH = "HARDTANH"
    IDENTITY = "IDENTITY"
    LEAKYRELU = "LEAKYRELU"
    MISH = "MISH"
    RELU = "RELU"
    RELU6 = "RELU6"
    SELU = "SELU"
    SIGMOID = "SIGMOID"
    SOFTMAX = "SOFTMAX"
    SOFTPLUS = "SOFTPLUS"
    SOFTSIGN = "SOFTSIGN"
    SWISH = "SWISH"
    TANH = "TANH"


class WeightInit(str, Enum):
    """DL4J's weight initialisation schemes (the formulas are in :mod:`.initializers`)."""

    ZERO = "ZERO"
    ONES = "ONES"
    NORMAL = "NORMAL"
    UNIFORM = "UNIFORM"
    XAVIER = "XAVIER"
    XAVIER_UNIFORM = "XAVIER_UNIFORM"
    XAVIER_FAN_IN = "XAVIER_FAN_IN"
    RELU = "RELU"
    RELU_UNIFORM = "RELU_UNIFORM"
    LECUN_NORMAL = "LECUN_NORMAL"
    LECUN_UNIFORM = "LECUN_UNIFORM"
    SIGMOID_UNIFORM = "SIGMOID_UNIFORM"


class LossFunction(str, Enum):
    """``LossFunctions.LossFunction``: the losses an ``OutputLayer`` or ``CnnLossLayer`` scores with."""

    MSE = "MSE"
    L1 = "L1"
    L2 = "L2"
    MEAN_ABSOLUTE_ERROR = "MEAN_ABSOLUTE_ERROR"
    SQUARED_LOSS = "SQUARED_LOSS"
    MCXENT = "MCXENT"
    NEGATIVELOGLIKELIHOOD = "NEGATIVELOGLIKELIHOOD"
    XENT = "XENT"


class LossFunctions:
    """DL4J's ``LossFunctions`` holder, so ``LossFunctions.LossFunction.MSE`` reads as in Java."""

    LossFunction = LossFunction


def enum_value(enum: type[E], value: Any, argument: str, owner: str) -> E:
    """``value`` (a member or DL4J's spelling of one) as a member of ``enum``.

    >>> enum_value(CNN2DFormat, "NHWC", "dataFormat", "ConvolutionLayer")
    <CNN2DFormat.NHWC: 'NHWC'>
    >>> enum_value(CNN2DFormat, "NCW", "dataFormat", "ConvolutionLayer")
    Traceback (most recent call last):
    ...
    ValueError: ConvolutionLayer: invalid `dataFormat` 'NCW'; expected one of NCHW, NHWC.
    """
    try:
        return enum(value.value if isinstance(value, Enum) else value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{owner}: invalid `{argument}` {value!r}; expected one of {allowed}.") from None
