"""Pooling geometry: which padding a pooling window may have, and how many real elements it sees."""

from __future__ import annotations

from typing import Sequence



def check_pool_pads(pads: Sequence[tuple[int, int] | None], pool_size: Sequence[int], owner: str) -> None:
    """Refuse padding that lets a window hold padding only (a ``None`` pair, not known yet, passes).

    A window must cover at least one real element, or max pooling returns
    ``-inf`` and average pooling divides by zero. With ``begin < pool`` and
    ``end < pool`` on every dim, every window of a non-empty input does (as
    Wolfram's PoolingLayer requires: "padding size P must be smaller than
    KernelSize K").

    >>> check_pool_pads(((1, 1), None), (2, 2), "MaxPooling2D")
    >>> check_pool_pads(((2, 0),), (2,), "MaxPooling1D")
    Traceback (most recent call last):
    ...
    ValueError: MaxPooling1D: the `padding` must be smaller than `pool_size` on each side, so that every window holds at least one input element. Received padding=((2, 0),) with pool_size=(2,).
    """
    if any(pair is not None and max(pair) >= k for pair, k in zip(pads, pool_size)):
        raise ValueError(
            f"{owner}: the `padding` must be smaller than `pool_size` on each side, so that every "
            f"window holds at least one input element. Received padding={tuple(pads)!r} with "
            f"pool_size={tuple(pool_size)!r}."
        )


def window_counts(size: int, pool: int, stride: int, pads: tuple[int, int]) -> tuple[int, ...]:
    """How many real (non-padding) elements each pooling window holds along one dim.

    Window ``o`` covers padded positions ``[o * stride, o * stride + pool)``,
    i.e. input indices ``[start, start + pool)`` with ``start = o * stride - begin``;
    it holds ``min(start + pool, size) - max(start, 0)`` real elements. This is
    TF's (and DL4J's default) average-pooling divisor, one factor per dim.

    >>> window_counts(6, 3, 2, (0, 1))
    (3, 3, 2)
    >>> window_counts(5, 3, 2, (1, 1))
    (2, 3, 2)
    """
    begin, end = pads
    count = (size + begin + end - pool) // stride + 1
    return tuple(
        min(o * stride - begin + pool, size) - max(o * stride - begin, 0) for o in range(count)
    )
