"""DL4J's activation functions as core activations (DL4J's constants where they differ from Keras's).

>>> import torch
>>> activation(Activation.LEAKYRELU)(torch.tensor([-1.0])).tolist()  # DL4J's slope 0.01, not Keras's 0.2
[-0.009999999776482582]
>>> activation("HARDSIGMOID")(torch.tensor([1.0])).tolist()  # min(1, max(0, 0.2 x + 0.5))
[0.699999988079071]
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from .. import activations as core
from .enums import Activation, enum_value

_OWN = {
    Activation.LEAKYRELU: core.Activation("dl4j_leakyrelu", lambda x: F.leaky_relu(x, 0.01), elementwise=True),
    Activation.HARDSIGMOID: core.Activation(
        "dl4j_hardsigmoid", lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0), elementwise=True
    ),
    Activation.CUBE: core.Activation("dl4j_cube", lambda x: x**3, elementwise=True),
}
#: DL4J's activations that are Keras's, by Keras's name.
_KERAS = {
    Activation.ELU: "elu", Activation.GELU: "gelu", Activation.HARDTANH: "hard_tanh", Activation.IDENTITY: "linear",
    Activation.MISH: "mish", Activation.RELU: "relu", Activation.RELU6: "relu6", Activation.SELU: "selu",
    Activation.SIGMOID: "sigmoid", Activation.SOFTMAX: "softmax", Activation.SOFTPLUS: "softplus",
    Activation.SOFTSIGN: "softsign", Activation.SWISH: "silu", Activation.TANH: "tanh",
}


def activation(value: Any, owner: str = "activation") -> core.Activation:
    """The core activation for a DL4J ``Activation`` (or its name)."""
    member = enum_value(Activation, value, "activation", owner)
    return _OWN[member] if member in _OWN else core.get(_KERAS[member])
