"""Geometry of the reshaping layers: cropping, padding (zeros, constant, edge, reflect), upsampling and resizing.

Cropping and zero padding share one argument grammar (Keras's): an int, one
int per dim, or per dim an int or a ``(begin, end)`` pair; 1-D layers take an
int or a single pair. Both canonicalise to :data:`Pads`, one ``(begin, end)``
pair per spatial dim in natural order. Sizes are ints or ``None`` (unknown),
which propagates.
"""

from __future__ import annotations

from typing import Any, Sequence

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


def resize_nearest_sources(in_size: int, out_size: int) -> tuple[int, ...]:
    """Nearest neighbour with half-pixel centres: output ``o`` copies ``floor((o + 1/2) * in / out)``.

    TF's and Keras's ``'nearest'`` resize (PyTorch's ``'nearest-exact'``), in
    exact integer arithmetic: ``((2 o + 1) * in) // (2 * out)``. An integer
    upscaling factor repeats each element.

    >>> resize_nearest_sources(2, 6)
    (0, 0, 0, 1, 1, 1)
    >>> resize_nearest_sources(5, 2)
    (1, 3)
    """
    return tuple(((2 * o + 1) * in_size) // (2 * out_size) for o in range(out_size))
