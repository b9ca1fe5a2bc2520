"""``PoolingLayer``: Wolfram's max, mean and total pooling, translated into the core's ``PoolSpec``.

``PoolingLayer(k)`` pools windows of ``k`` at stride 1 (unlike Keras, the stride
does not default to the window); ``PoolingLayer(k, s)`` or ``Stride=s`` sets it.
Output size per spatial dim: ``floor((d + b + e - k) / s) + 1`` (reference A4.2).
Padding never wins a max and, for ``"Mean"``, is not counted in the divisor (the
core's rule; the reference does not settle Wolfram's divisor at the borders).

>>> import numpy as np
>>> from convlayers.wolfram import PoolingLayer
>>> PoolingLayer(2, 2, Function="Total", Input=(1, 4))(np.array([[1, 2, 3, 4]])).tolist()
[[3.0, 7.0]]
"""

from __future__ import annotations

from typing import Any

from ..geometry import WindowGeometry
from ..layers import Layer, layer_from_spec
from ..layers.spec import PoolSpec
from . import ports
from .layer import NetLayer
from .options import padding_rank, padding_rule, per_dim, rank_of
from .ports import Dims

#: Wolfram's ``"Function"`` values and the core's pooling kinds.
FUNCTIONS = {"Max": "max", "Mean": "average", "Total": "sum"}


class PoolingLayer(NetLayer):
    """Wolfram's ``PoolingLayer[k, s, opts]``: max, mean or total over sliding windows, per channel.

    Args:
        kernel: an integer (every spatial dim) or one per dim.
        stride: positional stride (default 1), or ``Stride=``.
        Function: ``"Max"`` (default), ``"Mean"`` or ``"Total"``.
        PaddingSize: ``p``, ``(p1, ...)``, ``((b1, e1), ...)`` or ``"Same"``; each side smaller than the kernel.
        Interleaving, Dimensionality, Input, Output: as for :class:`~.ConvolutionLayer`.

    >>> from convlayers.wolfram import NetExtract, PoolingLayer
    >>> NetExtract(PoolingLayer(3, Input=(2, 8, 8)), "Output")
    (2, 6, 6)
    >>> PoolingLayer(2, PaddingSize=2, Input=(1, 4))
    Traceback (most recent call last):
    ...
    ValueError: Validation failed for PoolingLayer: padding size 2 must be smaller than KernelSize 2.
    """

    def __init__(
        self,
        kernel: Any,
        stride: Any = None,
        *,
        Function: str = "Max",
        PaddingSize: Any = 0,
        Stride: Any = None,
        Interleaving: bool = False,
        Dimensionality: int | None = None,
        Input: Any = None,
        Output: Any = None,
    ) -> None:
        super().__init__(Input=Input, Output=Output)
        if Function not in FUNCTIONS:
            raise self.fail(f"\"Function\" should be one of {', '.join(FUNCTIONS)}; received {Function!r}.")
        if stride is not None and Stride is not None and stride != Stride:
            raise self.fail(f"the stride is given twice, as {stride!r} and Stride -> {Stride!r}.")
        self.function, self.kernel, self.padding = Function, kernel, PaddingSize
        self.stride = 1 if stride is None and Stride is None else stride if stride is not None else Stride
        self.interleaving = bool(Interleaving)
        stated = {rank_of(kernel), rank_of(self.stride), padding_rank(PaddingSize), Dimensionality} - {None}
        if len(stated) > 1:
            raise self.fail(f"the options state different numbers of spatial dimensions: {sorted(stated)}.")
        self.rank: int | None = stated.pop() if stated else None
        self._finish_init()

    def known_input_rank(self) -> int | None:
        return None if self.rank is None else self.rank + 1

    def spec(self, rank: int) -> PoolSpec:
        """The core's spec of this layer for ``rank`` spatial dims."""
        return PoolSpec(
            kind=FUNCTIONS[self.function],  # type: ignore[arg-type]
            rank=rank,
            pool_size=per_dim(self.kernel, rank, "the kernel size", self.head),
            strides=per_dim(self.stride, rank, "\"Stride\"", self.head),
            padding=padding_rule(self.padding, rank, self.head),
            data_format="channels_last" if self.interleaving else "channels_first",
        )

    def infer_output(self, dims: Dims) -> Dims:
        rank = len(dims) - 1
        if rank not in (1, 2, 3) or (self.rank is not None and rank != self.rank):
            raise self.fail(f"the input should be an array of rank {(self.rank or 1) + 1} to 4; received dims {list(dims)}.")
        self.rank = rank
        channels, spatial = ports.split(dims, self.interleaving)
        spec = self.spec(rank)
        pads = spec.geometry.pads(spatial)
        for pair, k in zip(pads, spec.pool_size):
            if pair is not None and max(pair) >= k:
                raise self.fail(f"padding size {max(pair)} must be smaller than KernelSize {k}.")
        known = [i for i, d in enumerate(spatial) if d is not None and pads[i] is not None]
        if any(spatial[i] + sum(pads[i]) < spec.pool_size[i] for i in known):  # type: ignore[operator]
            raise self.fail(
                f"kernel size {ports.times(spec.pool_size[i] for i in known)} cannot exceed input size "
                f"{ports.times(spatial[i] for i in known)} plus padding size {ports.times(sum(pads[i]) for i in known)}."  # type: ignore[arg-type]
            )
        out = WindowGeometry(spec.pool_size, spec.strides, (1,) * rank, spec.padding).output_sizes(spatial)
        return ports.join(channels, out, self.interleaving)

    def make_core(self, dims: Dims) -> Layer:
        return layer_from_spec(self.spec(len(dims) - 1))

    def resolved_padding(self) -> tuple[tuple[int, int], ...] | None:
        """``PaddingSize`` as ``((b, e), ...)`` for the input (``None`` while unknown)."""
        if self.input_dims is None:
            return None
        _, spatial = ports.split(self.input_dims, self.interleaving)
        pads = self.spec(len(spatial)).geometry.pads(spatial)
        return None if None in pads else tuple(pads)  # type: ignore[arg-type]
