"""Pooling geometry: which padding a pooling window may have, and how many real elements it sees."""

from __future__ import annotations

from typing import Sequence


def check_pool_pads(
    pads: Sequence[tuple[int, int] | None], pool_size: Sequence[int], owner: str, dilation_rate: Sequence[int] | None = None
) -> None:
    """Refuse padding that lets a window hold padding only (a ``None`` pair, not known yet, passes).

    A window must cover at least one real element, or max pooling returns
    ``-inf`` and average pooling divides by zero. With ``begin < span`` and
    ``end < span`` on every dim (``span = (pool - 1) * dilation + 1``, the
    window's reach), every undilated window of a non-empty input does (as
    Wolfram's PoolingLayer requires: "padding size P must be smaller than
    KernelSize K"); a dilated window can still step over an input shorter than
    its dilation, which :func:`empty_windows` finds once the size is known.

    >>> check_pool_pads(((1, 1), None), (2, 2), "MaxPooling2D")
    >>> check_pool_pads(((2, 0),), (2,), "MaxPooling1D", (2,))  # span 3
    >>> check_pool_pads(((2, 0),), (2,), "MaxPooling1D")
    Traceback (most recent call last):
    ...
    ValueError: MaxPooling1D: the `padding` must be smaller than the window's span ((pool_size - 1) * dilation_rate + 1) on each side, so that every window holds at least one input element. Received padding=((2, 0),) with pool_size=(2,), dilation_rate=(1,).
    """
    dilation_rate = tuple(dilation_rate or (1,) * len(pool_size))
    spans = [(k - 1) * d + 1 for k, d in zip(pool_size, dilation_rate)]
    if any(pair is not None and max(pair) >= span for pair, span in zip(pads, spans)):
        raise ValueError(
            f"{owner}: the `padding` must be smaller than the window's span ((pool_size - 1) * dilation_rate + 1) "
            f"on each side, so that every window holds at least one input element. Received padding={tuple(pads)!r} "
            f"with pool_size={tuple(pool_size)!r}, dilation_rate={dilation_rate!r}."
        )


def window_counts(size: int, pool: int, stride: int, pads: tuple[int, int], dilation: int = 1) -> tuple[int, ...]:
    """How many real (non-padding) elements each pooling window holds along one dim.

    Window ``o`` reads padded positions ``o * stride + j * dilation`` for
    ``j < pool``, i.e. input indices ``start + j * dilation`` with
    ``start = o * stride - begin``; it holds the taps with
    ``0 <= start + j * dilation < size``: ``j`` from ``max(0, ceil(-start / dilation))``
    to ``min(pool - 1, floor((size - 1 - start) / dilation))``. Undilated, that is
    ``min(start + pool, size) - max(start, 0)``: TF's (and DL4J's default)
    average-pooling divisor, one factor per dim.

    >>> window_counts(6, 3, 2, (0, 1))
    (3, 3, 2)
    >>> window_counts(5, 3, 2, (1, 1))
    (2, 3, 2)
    >>> window_counts(5, 2, 1, (2, 0), dilation=2)  # taps at -2,0 | -1,1 | 0,2 | 1,3 | 2,4
    (1, 1, 2, 2, 2)
    """
    begin, end = pads
    span = (pool - 1) * dilation + 1
    count = (size + begin + end - span) // stride + 1
    starts = (o * stride - begin for o in range(count))
    return tuple(
        max(0, min(pool - 1, (size - 1 - start) // dilation) - max(0, -(start // dilation)) + 1) for start in starts
    )


def empty_windows(size: int, pool: int, stride: int, pads: tuple[int, int], dilation: int) -> bool:
    """Whether some window's taps all fall in the padding (only a dilated window can step over the input).

    >>> empty_windows(2, 2, 1, (2, 2), 4), empty_windows(5, 2, 1, (2, 2), 4)  # taps -2, 2 miss a 2-element input
    (True, False)
    """
    return 0 in window_counts(size, pool, stride, pads, dilation)
