"""``ResizeLayer``: Wolfram's resizing of the trailing spatial dims, translated into the core's ``Resizing``.

``ResizeLayer((d1, ..., dn))`` resizes the ``n`` (1 or 2) trailing spatial dims;
the channels (first, or last with ``Interleaving=True``) are kept. Each ``d`` is a
target size, ``Scaled(r)`` (size ``ceil(r * d)``) or ``All`` (unchanged).
``Resampling="Linear"`` (the default) with ``Scheme="Point"`` (its default) is
corner-aligned bilinear interpolation (PyTorch's ``align_corners=True``: the
paclet's identity-affine ``SpatialTransformer`` maps -1..1 onto pixels 0..W-1);
``Scheme="Bin"`` is half-pixel centres. ``"Nearest"`` replicates pixels and only
takes ``Scaled(n)`` with integer ``n`` (reference A4.4).

>>> import numpy as np
>>> ResizeLayer((4,), Input=(1, 2))(np.array([[0, 3]])).tolist()
[[0.0, 1.0, 2.0, 3.0]]
>>> ResizeLayer((Scaled(2),), Resampling="Nearest")(np.array([[1, 2]])).tolist()
[[1.0, 1.0, 2.0, 2.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Rational, Real
from typing import Any

import torch

from ..layers import Layer, Resizing
from . import ports
from .layer import NetLayer
from .ports import Dims

#: Wolfram's ``All``: keep the dim's size.
All = "All"
#: ``Resampling`` -> ``(core interpolation, the Automatic "Scheme")``.
RESAMPLINGS = {"Linear": ("bilinear", "Point"), "Nearest": ("nearest", "Bin")}


@dataclass(frozen=True)
class Scaled:
    """Wolfram's ``Scaled[r]``: a size ``r`` times the input's (``ceil(r * d)``), ``r > 0``.

    A float ``r`` is read as the decimal it prints as (``Scaled(0.1)`` is 1/10),
    so ``ceil`` does not see binary rounding.

    >>> Scaled(3.5).size(3), Scaled(0.1).size(30)
    (11, 3)
    """

    r: Real

    def size(self, d: int) -> int:
        """``ceil(r * d)``, exactly."""
        ratio = Fraction(self.r) if isinstance(self.r, Rational) else Fraction(repr(float(self.r)))
        return math.ceil(ratio * d)


def _valid_entry(entry: Any) -> bool:
    if isinstance(entry, Scaled):
        return isinstance(entry.r, Real) and not isinstance(entry.r, bool) and math.isfinite(entry.r) and entry.r > 0
    return entry == All or (isinstance(entry, Integral) and not isinstance(entry, bool) and entry > 0)


def _integer_scale(entry: Any) -> bool:
    return isinstance(entry, Scaled) and float(entry.r).is_integer()


class ResizeLayer(NetLayer):
    """Wolfram's ``ResizeLayer[{d1, ...}, Resampling -> m, "Scheme" -> s, Interleaving -> i]``.

    Args:
        spec: 1 or 2 entries, each a positive integer, ``Scaled(r)`` or ``All``.
        Resampling: ``"Automatic"`` (``"Linear"``), ``"Linear"`` or ``"Nearest"`` (``Scaled(integer)`` entries only).
        Scheme: ``"Point"`` (corner-aligned; default for Linear) or ``"Bin"``
            (half-pixel; default and only value for Nearest).
        Interleaving: channels last (``True``) or first (default).
        Input, Output: the dims of one example: ``(c, w)`` or ``(c, h, w)`` (or interleaved).

    >>> from convlayers.wolfram import NetExtract
    >>> NetExtract(ResizeLayer((10, Scaled(2.5)), Input=(1, 2, 3)), "Output")
    (1, 10, 8)
    >>> ResizeLayer((Scaled(1.5),), Resampling="Nearest")
    Traceback (most recent call last):
    ...
    ValueError: Validation failed for ResizeLayer: layer specification should be {Scaled[n], ...} when using "Resampling" -> "Nearest".
    """

    def __init__(
        self,
        spec: Any,
        *,
        Resampling: str = "Automatic",
        Scheme: str = "Automatic",
        Interleaving: bool = False,
        Input: Any = None,
        Output: Any = None,
    ) -> None:
        super().__init__(Input=Input, Output=Output)
        entries = tuple(spec) if isinstance(spec, (list, tuple)) else None
        if entries is None or len(entries) not in (1, 2) or not all(_valid_entry(e) for e in entries):
            raise self.fail(f"specification should be a list containing integers, Scaled[r], or All. Received {spec!r}.")
        Resampling = "Linear" if Resampling == "Automatic" else Resampling
        if Resampling not in RESAMPLINGS:
            raise self.fail(f"the value of Resampling should be \"Linear\" or \"Nearest\"; received {Resampling!r}.")
        interpolation, automatic = RESAMPLINGS[Resampling]
        scheme = automatic if Scheme == "Automatic" else Scheme
        if scheme not in ("Point", "Bin") or (Resampling == "Nearest" and scheme != "Bin"):
            allowed = "\"Bin\"" if Resampling == "Nearest" else "\"Point\" or \"Bin\""
            raise self.fail(f"with \"Resampling\" -> \"{Resampling}\", \"Scheme\" should be {allowed}; received {Scheme!r}.")
        if Resampling == "Nearest" and not all(_integer_scale(e) for e in entries):
            raise self.fail("layer specification should be {Scaled[n], ...} when using \"Resampling\" -> \"Nearest\".")
        self.spec, self.resampling, self.scheme = entries, Resampling, scheme
        self.interpolation, self.align_corners = interpolation, scheme == "Point"
        self.interleaving = bool(Interleaving)
        self._finish_init()

    def infer_output(self, dims: Dims) -> Dims:
        channels, spatial = ports.split(dims, self.interleaving)
        if not len(self.spec) <= len(spatial) <= 2:
            raise self.fail(
                f"the input should be an array of rank {len(self.spec) + 1} to 3 (channels and 1 or 2 spatial "
                f"dimensions); received dims {list(dims)}."
            )
        kept = len(spatial) - len(self.spec)
        sizes = list(spatial[:kept])
        for d, entry in zip(spatial[kept:], self.spec):
            if d is None:
                raise self.fail("a \"Varying\" dimension cannot be resized.")
            sizes.append(d if entry == All else entry.size(d) if isinstance(entry, Scaled) else entry)
        if any(s is not None and s <= 1 for s in sizes[kept:]):
            out = ports.join(channels, sizes, self.interleaving)
            raise self.fail(f"layer would produce an output of size {ports.times(out)}, which is not supported.")
        return ports.join(channels, sizes, self.interleaving)

    def _core_sizes(self, dims: Dims) -> tuple[int, int]:
        """The core's (rows, cols): a 1-D input is resized as one row."""
        _, spatial = ports.split(self.infer_output(dims), self.interleaving)
        return (1,) * (2 - len(spatial)) + tuple(spatial)  # type: ignore[return-value]

    def make_core(self, dims: Dims) -> Layer:
        rows, cols = self._core_sizes(dims)
        data_format = "channels_last" if self.interleaving else "channels_first"
        return Resizing(rows, cols, self.interpolation, align_corners=self.align_corners, data_format=data_format)

    def _spatial_rank(self) -> int:
        return len(self.input_dims) - 1  # type: ignore[arg-type]

    def core_input_shape(self, dims: Dims) -> tuple[int | None, ...]:
        shape = (None,) + ports.to_core(dims)
        # A 1-D input gains a row axis of 1 where its spatial dims start.
        axis = 1 if self.interleaving else 2
        return shape if len(dims) == 3 else shape[:axis] + (1,) + shape[axis:]

    def run(self, x: torch.Tensor) -> torch.Tensor:
        if self._spatial_rank() == 2:
            return self.core(x)  # type: ignore[misc]
        axis = 1 if self.interleaving else 2
        return self.core(x.unsqueeze(axis)).squeeze(axis)  # type: ignore[misc]
