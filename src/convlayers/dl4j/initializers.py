"""DL4J's weight initialisation (``WeightInit``) with DL4J's fans (reference 2.0).

DL4J's fans depend on the layer, not only on the weight's shape: a convolution's
``fanOut`` is ``nOut * kH * kW / (sH * sW)``, a depthwise one counts the depth
multiplier, a separable layer's pointwise weight has ``fanIn = fanOut = nIn * dm``.
Each layer describes its weights' fans with a :class:`Fans` read from the weight in
DL4J's layout (the layout its initializer sees).

>>> fans = Fans(in_axis=1, out_axis=0, spatial_axes=(2, 3), stride_product=4)  # ConvolutionLayer, stride 2x2
>>> fans.of((16, 3, 3, 3))
(27, 36.0)
>>> w = WeightInitializer(WeightInit.XAVIER, fans, seed=1)((16, 3, 3, 3))
>>> w.shape, abs(float(w.std()) - (2 / (27 + 36)) ** 0.5) < 0.03
(torch.Size([16, 3, 3, 3]), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..initializers.base import Shape, _Random
from .enums import WeightInit


@dataclass(frozen=True)
class Fans:
    """``fanIn = shape[in_axis] * receptive``, ``fanOut = shape[out_axis] * receptive / stride_product``,
    with ``receptive`` the product of ``spatial_axes`` (a dense weight has none)."""

    in_axis: int
    out_axis: int
    spatial_axes: tuple[int, ...] = ()
    stride_product: int = 1

    def of(self, shape: Shape) -> tuple[float, float]:
        """``(fanIn, fanOut)`` of a weight of ``shape`` (DL4J's layout)."""
        receptive = math.prod(shape[axis] for axis in self.spatial_axes)
        return shape[self.in_axis] * receptive, shape[self.out_axis] * receptive / self.stride_product


#: ``scheme -> (distribution, scale(fanIn, fanOut))``: a normal's standard deviation, a uniform's bound.
SCHEMES = {
    WeightInit.NORMAL: ("normal", lambda i, o: 1 / math.sqrt(i)),
    WeightInit.UNIFORM: ("uniform", lambda i, o: 1 / math.sqrt(i)),
    WeightInit.XAVIER: ("normal", lambda i, o: math.sqrt(2 / (i + o))),
    WeightInit.XAVIER_UNIFORM: ("uniform", lambda i, o: math.sqrt(6 / (i + o))),
    WeightInit.XAVIER_FAN_IN: ("normal", lambda i, o: 1 / math.sqrt(i)),
    WeightInit.RELU: ("normal", lambda i, o: math.sqrt(2 / i)),
    WeightInit.RELU_UNIFORM: ("uniform", lambda i, o: math.sqrt(6 / i)),
    WeightInit.LECUN_NORMAL: ("normal", lambda i, o: math.sqrt(1 / i)),
    WeightInit.LECUN_UNIFORM: ("uniform", lambda i, o: math.sqrt(3 / i)),
    WeightInit.SIGMOID_UNIFORM: ("uniform", lambda i, o: 4 * math.sqrt(6 / (i + o))),
}


class WeightInitializer(_Random):
    """One ``WeightInit`` scheme drawing with a layer's :class:`Fans`: normals ``N(0, scale)``, uniforms
    ``U(-scale, scale)``, ``ZERO`` and ``ONES`` constant.

    >>> WeightInitializer(WeightInit.ONES, Fans(0, 1))((2,)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, scheme: WeightInit, fans: Fans, seed: int | None = None) -> None:
        super().__init__(seed)
        self.scheme, self.fans = WeightInit(scheme), fans

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        shape = tuple(shape)
        if self.scheme in (WeightInit.ZERO, WeightInit.ONES):
            return torch.full(shape, float(self.scheme is WeightInit.ONES), dtype=dtype)
        kind, scale = SCHEMES[self.scheme]
        bound = scale(*self.fans.of(shape))
        return self._normal(shape, 0.0, bound, dtype) if kind == "normal" else self._uniform(shape, -bound, bound, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme.value, "fans": vars(self.fans), **super().get_config()}
