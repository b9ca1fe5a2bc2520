"""Geometry of the reshaping layers: cropping, padding (zeros, constant, edge, reflect), upsampling and resizing.

Cropping and zero padding share one argument grammar (Keras's): an int, one
int per dim, or per dim an int or a ``(begin, end)`` pair; 1-D layers take an
int or a single pair. Both canonicalise to :data:`Pads`, one ``(begin, end)``
pair per spatial dim in natural order. Sizes are ints or ``None`` (unknown),
which propagates.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

from .arguments import _is_int
from .padding import Pads, normalize_pads


def _leaves(value: Any) -> list[Any]:
    """The scalars of an int, a sequence, or a sequence of sequences."""
    if not isinstance(value, (tuple, list)):
        return [value]
    return [leaf for item in value for leaf in (item if isinstance(item, (tuple, list)) else (item,))]


def normalize_side_pairs(value: Any, rank: int, name: str, owner: str) -> Pads:
    """Canonicalise a Keras ``cropping``/``padding`` argument to one ``(begin, end)`` pair per dim.

    ``rank == 1``: an int or a ``(begin, end)`` pair. ``rank > 1``: an int
    (every side), ``rank`` ints (both sides of each dim), or ``rank`` items
    that are each an int or a pair, mixed freely. Values must be ``>= 0``.
    Every malformed value is a ``ValueError``, as in Keras.

    >>> normalize_side_pairs(((1, 2), 3), 2, "cropping", "Cropping2D")
    ((1, 2), (3, 3))
    >>> normalize_side_pairs((0, 2), 1, "padding", "ZeroPadding1D")
    ((0, 2),)
    >>> normalize_side_pairs(1, 3, "padding", "ZeroPadding3D")
    ((1, 1), (1, 1), (1, 1))
    """
    if rank == 1:
        allowed = "an int or a tuple of 2 ints (begin, end)"
        flat_pair = isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value)
        well_formed = _is_int(value) or flat_pair
    else:
        allowed = (
            f"an int, a tuple of {rank} ints, or a tuple of {rank} items that are each an int "
            f"or a (begin, end) pair"
        )
        well_formed = _is_int(value) or isinstance(value, (tuple, list))
    if not well_formed:
        raise ValueError(f"{owner}: the `{name}` argument must be {allowed}. Received {name}={value!r}.")
    negative = [v for v in _leaves(value) if _is_int(v) and v < 0]
    if negative:
        raise ValueError(
            f"{owner}: the `{name}` argument cannot be negative. Received {name}={value!r}, "
            f"including negative values {negative}."
        )
    # Only structural errors are left, and normalize_pads reports those as ValueError.
    return normalize_pads(value, rank, name, owner)


def cropped_sizes(sizes: Sequence[int | None], cropping: Pads) -> tuple[int | None, ...]:
    """``size - begin - end`` per dim; may be ``<= 0`` (the caller reports it).

    >>> cropped_sizes((8, None), ((1, 2), (3, 0)))
    (5, None)
    """
    return tuple(None if n is None else n - b - e for n, (b, e) in zip(sizes, cropping))


def padded_sizes(sizes: Sequence[int | None], padding: Pads) -> tuple[int | None, ...]:
    """``size + begin + end`` per dim.

    >>> padded_sizes((8, None), ((1, 2), (3, 0)))
    (11, None)
    """
    return tuple(None if n is None else n + b + e for n, (b, e) in zip(sizes, padding))


def upsampled_sizes(sizes: Sequence[int | None], factors: Sequence[int]) -> tuple[int | None, ...]:
    """``size * factor`` per dim.

    >>> upsampled_sizes((5, None, 3), (2, 2, 3))
    (10, None, 9)
    """
    return tuple(None if n is None else n * f for n, f in zip(sizes, factors))


#: The fill modes of the core's :class:`~convlayers.layers.Padding` (NumPy's ``np.pad`` names).
PAD_MODES = ("constant", "edge", "reflect")


def pad_sources(size: int, begin: int, end: int, mode: str) -> tuple[int, ...]:
    """For each position of a dim of ``size`` padded by ``(begin, end)``, the input index it copies.

    ``'edge'`` clamps ``i - begin`` to ``[0, size - 1]``; ``'reflect'`` mirrors
    about the edge elements without repeating them (NumPy's ``'reflect'``), with
    period ``2 (size - 1)``, so pads longer than the dim keep reflecting, as
    ``np.pad`` does; a dim of 1 repeats its element. (``'constant'`` copies
    nothing: the caller fills.)

    >>> pad_sources(3, 2, 2, "edge")
    (0, 0, 0, 1, 2, 2, 2)
    >>> pad_sources(3, 2, 4, "reflect")
    (2, 1, 0, 1, 2, 1, 0, 1, 2)
    """
    positions = range(-begin, size + end)
    if mode == "edge" or size == 1:
        return tuple(min(max(i, 0), size - 1) for i in positions)
    period = 2 * (size - 1)
    return tuple(min(i % period, period - i % period) for i in positions)


#: Where output ``o`` samples the input, for an output-per-input ``scale`` (ONNX's coordinate
#: transformations of those names; ``align_corners`` maps the end pixels' centres onto each other).
RESIZE_COORDINATES: dict[str, Callable[[int, int, int, Fraction], Fraction]] = {
    "half_pixel": lambda o, n_in, n_out, scale: (o + Fraction(1, 2)) / scale - Fraction(1, 2),
    "asymmetric": lambda o, n_in, n_out, scale: o / scale,
    "align_corners": lambda o, n_in, n_out, scale: Fraction(o * (n_in - 1), n_out - 1) if n_out > 1 else Fraction(0),
}
#: How a sampling coordinate becomes an index (ONNX's ``nearest_mode``: ties up, ties down, floor, ceil).
NEAREST_ROUNDINGS: dict[str, Callable[[Fraction], int]] = {
    "round_half_up": lambda x: math.floor(x + Fraction(1, 2)),
    "round_half_down": lambda x: math.ceil(x - Fraction(1, 2)),
    "floor": math.floor,
    "ceil": math.ceil,
}


def resize_nearest_sources(
    in_size: int,
    out_size: int,
    *,
    coordinates: str = "half_pixel",
    rounding: str = "round_half_up",
    scale: float | Fraction | None = None,
) -> tuple[int, ...]:
    """For each output of a nearest-neighbour resize, the input index it copies, in exact rationals.

    Output ``o`` samples coordinate ``x`` (:data:`RESIZE_COORDINATES`: ``'half_pixel'``
    ``(o + 1/2) / scale - 1/2``, ``'asymmetric'`` ``o / scale``, ``'align_corners'``
    ``o (in - 1) / (out - 1)``), rounded by :data:`NEAREST_ROUNDINGS` and clamped to
    ``[0, in - 1]``. ``scale`` is output per input, ``out / in`` unless given (ONNX's
    ``scales``). The default is TF's and Keras's ``'nearest'`` (PyTorch's
    ``'nearest-exact'``), ``floor((o + 1/2) in / out)``: an integer upscaling repeats
    each element.

    >>> resize_nearest_sources(2, 6)
    (0, 0, 0, 1, 1, 1)
    >>> resize_nearest_sources(5, 2)
    (1, 3)
    >>> resize_nearest_sources(4, 2, rounding="round_half_down")  # coordinates 0.5 and 2.5
    (0, 2)
    >>> resize_nearest_sources(2, 3, coordinates="asymmetric", rounding="floor", scale=1.5)
    (0, 0, 1)
    """
    if coordinates not in RESIZE_COORDINATES:
        raise ValueError(f"resize_nearest_sources: `coordinates` must be one of {tuple(RESIZE_COORDINATES)}. Received coordinates={coordinates!r}.")
    if rounding not in NEAREST_ROUNDINGS:
        raise ValueError(f"resize_nearest_sources: `rounding` must be one of {tuple(NEAREST_ROUNDINGS)}. Received rounding={rounding!r}.")
    ratio = Fraction(out_size, in_size) if scale is None else Fraction(scale)
    if ratio <= 0:
        raise ValueError(f"resize_nearest_sources: `scale` must be positive. Received scale={scale!r}.")
    where, round_ = RESIZE_COORDINATES[coordinates], NEAREST_ROUNDINGS[rounding]
    return tuple(min(max(round_(where(o, in_size, out_size, ratio)), 0), in_size - 1) for o in range(out_size))
