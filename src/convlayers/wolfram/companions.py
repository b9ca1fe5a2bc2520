"""The companions a Wolfram chain needs: ``LinearLayer``, ``ElementwiseLayer``, ``FlattenLayer``, ``SoftmaxLayer``.

Each translates into core layers. In a :class:`~.chain.NetChain` the symbols
``Ramp``, ``Tanh`` and ``LogisticSigmoid`` stand for ``ElementwiseLayer`` of
themselves, as in Wolfram.

>>> import numpy as np
>>> ElementwiseLayer(Ramp, Input=(3,))(np.array([-1, 0, 2])).tolist()
[0.0, 0.0, 2.0]
>>> LinearLayer(2, Weights=[[1, 0, 0, 0], [0, 0, 0, 1]], Biases=[0, 10], Input=(2, 2))(np.arange(4).reshape(2, 2)).tolist()
[0.0, 13.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..layers import Activation, Dense, Flatten, Layer
from ..layers.weights import Permuted, WeightLayout
from . import ports
from .layer import NetLayer
from .ports import Dims

Ramp, Tanh, LogisticSigmoid = "Ramp", "Tanh", "LogisticSigmoid"
#: Wolfram's elementwise functions and the core's activations.
FUNCTIONS = {
    Ramp: "relu", Tanh: "tanh", LogisticSigmoid: "sigmoid", "ReLU": "relu", "ELU": "elu", "SELU": "selu",
    "SoftPlus": "softplus", "Sigmoid": "sigmoid", "Exp": "exponential",
}


class _Shapeless(NetLayer):
    """A layer whose output dims are a function of its input's alone, and no arrays."""

    def __init__(self, *, Input: Any = None, Output: Any = None) -> None:
        super().__init__(Input=Input, Output=Output)

    def infer_output(self, dims: Dims) -> Dims:
        return dims


class ElementwiseLayer(_Shapeless):
    """Wolfram's ``ElementwiseLayer[f]``: ``f`` on every element; ``f`` one of :data:`FUNCTIONS`.

    >>> import numpy as np
    >>> ElementwiseLayer(Tanh)(np.zeros(2)).tolist()
    [0.0, 0.0]
    """

    def __init__(self, f: str, *, Input: Any = None, Output: Any = None) -> None:
        if f not in FUNCTIONS:
            raise ValueError(f"ElementwiseLayer: {f!r} is not a supported function. Supported: {', '.join(FUNCTIONS)}.")
        self.function = f
        super().__init__(Input=Input, Output=Output)
        self._finish_init()

    def make_core(self, dims: Dims) -> Layer:
        return Activation(FUNCTIONS[self.function])


class SoftmaxLayer(_Shapeless):
    """Wolfram's ``SoftmaxLayer[]``: a softmax over the last dim.

    >>> import numpy as np
    >>> SoftmaxLayer()(np.zeros(4)).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    def __init__(self, *, Input: Any = None, Output: Any = None) -> None:
        super().__init__(Input=Input, Output=Output)
        self._finish_init()

    def make_core(self, dims: Dims) -> Layer:
        return Activation("softmax")


class FlattenLayer(NetLayer):
    """Wolfram's ``FlattenLayer[]``: one example flattened to a vector, in the array's own order.

    >>> import numpy as np
    >>> FlattenLayer()(np.arange(6).reshape(2, 3)).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    """

    def __init__(self, *, Input: Any = None, Output: Any = None) -> None:
        super().__init__(Input=Input, Output=Output)
        self._finish_init()

    def infer_output(self, dims: Dims) -> Dims:
        if ports.VARYING in dims:
            raise self.fail("the input cannot have a \"Varying\" dimension.")
        return (math.prod(dims),)

    def make_core(self, dims: Dims) -> Layer:
        return Flatten()


class LinearLayer(NetLayer):
    """Wolfram's ``LinearLayer[n]``: ``w . x + b`` with ``n`` outputs; an input of higher rank is flattened first.

    Weights are ``(n, m)``, biases ``(n)`` (``Biases=None``: none).

    >>> from convlayers.wolfram import Information
    >>> Information(LinearLayer(10, Input=(3, 4, 4)), "ArraysDimensions")
    {('Weights',): (10, 48), ('Biases',): (10,)}
    """

    arrays = ("Weights", "Biases")

    def __init__(
        self,
        n: int | None = None,
        *,
        Weights: Any = None,
        Biases: Any = "Automatic",
        LearningRateMultipliers: Any = None,
        Input: Any = None,
        Output: Any = None,
    ) -> None:
        if Biases is None:
            self.arrays = ("Weights",)
        super().__init__(Input=Input, Output=Output, LearningRateMultipliers=LearningRateMultipliers)
        self.flatten: Flatten | None = None
        if Weights is not None:
            weights = np.asarray(Weights, dtype=np.float32)
            if weights.ndim != 2 or n not in (None, weights.shape[0]):
                raise self.fail(f"\"Weights\" should be a matrix of {n} rows; received dims {list(weights.shape)}.")
            n = weights.shape[0]
            self.set_array("Weights", weights)
        if not (isinstance(n, int) and n > 0):
            raise self.fail(f"the output size should be a positive integer; received {n!r}.")
        self.n = n
        if Biases is not None and not (isinstance(Biases, str) and Biases == "Automatic"):
            self.set_array("Biases", np.asarray(Biases, dtype=np.float32).reshape(-1))
        self._finish_init()

    def infer_output(self, dims: Dims) -> Dims:
        if ports.VARYING in dims:
            raise self.fail("the input cannot have a \"Varying\" dimension.")
        weights = self._pending.get("Weights")
        if weights is not None and weights.shape[1] != math.prod(dims):
            raise self.fail(f"\"Weights\" of dims {list(weights.shape)} do not fit an input of {math.prod(dims)} elements.")
        return (self.n,)

    def make_core(self, dims: Dims) -> Layer:
        # An input of higher rank is flattened first: the Dense sees vectors.
        self.flatten = Flatten() if len(dims) > 1 else None
        return Dense(self.n, use_bias="Biases" in self.arrays, kernel_initializer="glorot_uniform")

    def core_input_shape(self, dims: Dims) -> tuple[int | None, ...]:
        return (None, math.prod(dims))

    def core_layers(self) -> list[Layer]:
        return ([self.flatten] if self.flatten is not None else []) + [self.core]  # type: ignore[list-item]

    def array_layouts(self) -> dict[str, tuple[int, WeightLayout]]:
        # Wolfram's (n, m) is the core's Keras (m, n) transposed.
        layouts: dict[str, tuple[int, WeightLayout]] = {"Weights": (0, Permuted((1, 0)))}
        if "Biases" in self.arrays:
            layouts["Biases"] = (1, WeightLayout())
        return layouts
