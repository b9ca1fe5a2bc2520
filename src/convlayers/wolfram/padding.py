"""``PaddingLayer``: Wolfram's padding of any level of an array, translated into the core's ``Padding``.

``PaddingLayer(((m1, n1), (m2, n2), ...))`` pads level ``i`` of one example with
``m_i`` elements at the start and ``n_i`` at the end, levels counting from the
example's first dim (channels included: spatial-only padding of ``{c, h, w}`` is
``((0, 0), (1, 1), (1, 1))``); levels beyond the spec are left alone, as in
``ArrayPad``. ``Padding`` is a number (default 0), ``"Fixed"`` (repeat the edge;
corners copy the corner) or ``"Reflected"`` (mirror without repeating the edge,
NumPy's ``"reflect"``) (reference A4.3).

>>> import numpy as np
>>> PaddingLayer(((1, 2),), Padding="Reflected")(np.array([1, 2, 3])).tolist()
[2.0, 1.0, 2.0, 3.0, 2.0, 1.0]
>>> PaddingLayer(((0, 0), (1, 1)), Padding="Fixed")(np.array([[1, 2], [3, 4]])).tolist()
[[1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]]
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import torch

from ..layers import Layer, Padding1D, Padding2D, Padding3D
from . import ports
from .layer import NetLayer
from .ports import Dims

#: Wolfram's named ``Padding`` methods and the core's modes (a number is ``'constant'``).
METHODS = {"Fixed": "edge", "Reflected": "reflect"}
_CORE = {1: Padding1D, 2: Padding2D, 3: Padding3D}


def _pairs(spec: Any) -> tuple[tuple[int, int], ...] | None:
    """The spec as ``((m, n), ...)`` of non-negative integers, or ``None`` if it is not one."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return None
    pairs = []
    for pair in spec:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            return None
        if not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 0 for v in pair):
            return None
        pairs.append((int(pair[0]), int(pair[1])))
    return tuple(pairs)


class PaddingLayer(NetLayer):
    """Wolfram's ``PaddingLayer[{{m1, n1}, ...}, Padding -> p]``.

    Args:
        spec: one ``(begin, end)`` pair of non-negative integers per level, from the first.
        Padding: a real number (the fill; default 0), ``"Fixed"`` or ``"Reflected"``.
        Input, Output: the dims of one example (rank at least the spec's length).

    The padded levels (those from the first to the last with a nonzero pair)
    may span at most 3 levels: the core pads up to 3 dims, the levels before and
    after ride along as batch and channels.

    >>> from convlayers.wolfram import NetExtract
    >>> NetExtract(PaddingLayer(((0, 0), (1, 1), (2, 0)), Input=(3, 4, 4)), "Output")
    (3, 6, 6)
    >>> PaddingLayer(((1, -1),))
    Traceback (most recent call last):
    ...
    ValueError: Validation failed for PaddingLayer: the specification should be a list of pairs {begin, end} of non-negative integers, one per level; received ((1, -1),).
    """

    def __init__(self, spec: Any, *, Padding: Any = 0, Input: Any = None, Output: Any = None) -> None:
        super().__init__(Input=Input, Output=Output)
        pairs = _pairs(spec)
        if pairs is None:
            raise self.fail(
                f"the specification should be a list of pairs {{begin, end}} of non-negative integers, one per "
                f"level; received {spec!r}."
            )
        if isinstance(Padding, str) and Padding in METHODS:
            self.mode, self.value = METHODS[Padding], 0.0
        elif isinstance(Padding, Real) and not isinstance(Padding, bool):
            self.mode, self.value = "constant", float(Padding)
        else:
            raise self.fail(f"the value of Padding should be a number, \"Fixed\" or \"Reflected\"; received {Padding!r}.")
        self.pairs, self.padding = pairs, Padding
        padded = [i for i, pair in enumerate(pairs) if pair != (0, 0)] or [0]
        #: The levels the core pads, ``[first, stop)``: those before are folded into the batch, those after into the channels.
        self.first, self.stop = padded[0], padded[-1] + 1
        if self.stop - self.first > 3:
            raise self.fail(
                f"the padded levels {self.first + 1} to {self.stop} span {self.stop - self.first} levels; at most 3 "
                f"consecutive levels can be padded."
            )
        self._finish_init()

    def infer_output(self, dims: Dims) -> Dims:
        if len(self.pairs) > len(dims):
            raise self.fail(
                f"the specification pads {len(self.pairs)} levels, but the input {list(dims)} has only {len(dims)}."
            )
        core = ports.to_core(dims)
        pairs = self.pairs + ((0, 0),) * (len(dims) - len(self.pairs))
        return ports.to_wolfram(tuple(None if d is None else d + b + e for d, (b, e) in zip(core, pairs)))

    def make_core(self, dims: Dims) -> Layer:
        pairs = self.pairs[self.first : self.stop]
        # Padding1D takes its one (begin, end) pair flat, as Keras's ZeroPadding1D does.
        padding = pairs[0] if len(pairs) == 1 else pairs
        return _CORE[len(pairs)](padding, mode=self.mode, value=self.value, data_format="channels_last")

    def core_input_shape(self, dims: Dims) -> tuple[int | None, ...]:
        core = ports.to_core(dims)
        trailing = core[self.stop :]
        channels = None if None in trailing else math.prod(trailing)
        return (None,) + core[self.first : self.stop] + (channels,)

    def run(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, *before, *padded, *after) -> (batch * before, *padded, after): the core's channels-last layout.
        shape = tuple(x.shape)
        before, padded, after = shape[: 1 + self.first], shape[1 + self.first : 1 + self.stop], shape[1 + self.stop :]
        y = self.core(x.reshape((math.prod(before),) + padded + (math.prod(after),)))  # type: ignore[misc]
        return y.reshape(before + tuple(y.shape[1:-1]) + after)
