"""Block rearrangements (space-to-depth, space-to-batch): sizes after folding blocks."""

from __future__ import annotations

from typing import Sequence


def blocked_sizes(
    sizes: Sequence[int | None], block_shape: Sequence[int], pads: Sequence[tuple[int, int]]
) -> tuple[int | None, ...]:
    """Spatial sizes once each dim is padded and cut into blocks: ``(size + begin + end) / block``.

    ``None`` stays ``None``. A padded size that the block does not divide
    gives ``None`` too; callers report it with :func:`indivisible_dims`.

    >>> blocked_sizes((4, None, 6), (2, 2, 3), ((0, 0), (0, 0), (1, 2)))
    (2, None, 3)
    """
    return tuple(
        None if n is None or (n + b + e) % k else (n + b + e) // k
        for n, k, (b, e) in zip(sizes, block_shape, pads)
    )


def indivisible_dims(
    sizes: Sequence[int | None], block_shape: Sequence[int], pads: Sequence[tuple[int, int]]
) -> tuple[int, ...]:
    """The (0-based) dims whose known padded size the block does not divide.

    >>> indivisible_dims((5, None, 6), (2, 2, 3), ((0, 0), (0, 0), (1, 0)))
    (0, 2)
    """
    return tuple(
        axis
        for axis, (n, k, (b, e)) in enumerate(zip(sizes, block_shape, pads))
        if n is not None and (n + b + e) % k
    )
