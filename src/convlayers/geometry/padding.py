"""Padding: every accepted form canonicalised, every mode resolved to per-side pairs.

The canonical padding of a layer is either a mode name (``'valid'``, ``'same'``,
``'causal'``, ``'full'``) or explicit :data:`Pads`, one ``(begin, end)`` pair per
spatial dim in natural (D, H, W) order. A mode becomes :data:`Pads` only when
the input size is known, because TF's ``'same'`` depends on it when the stride
is above 1.
"""

from __future__ import annotations

from typing import Any, Sequence, Union

from .arguments import _is_int

Pads = tuple[tuple[int, int], ...]
PaddingLike = Union[str, int, Sequence[int], Sequence[Sequence[int]]]

PADDING_MODES = ("valid", "same", "causal", "full")


def normalize_pads(value: Any, rank: int, name: str, owner: str) -> Pads:
    """Canonicalise explicit padding to one ``(begin, end)`` pair per dim.

    Accepted: an int (all sides); ``rank`` ints (both sides of each dim);
    ``rank`` items that are each an int or a ``(begin, end)`` pair. For
    ``rank == 1`` a flat pair ``(begin, end)`` is the only reading of two ints.
    All values must be ``>= 0``.

    >>> normalize_pads(1, 2, "padding", "Conv2D")
    ((1, 1), (1, 1))
    >>> normalize_pads(((1, 2), 3), 2, "padding", "Conv2D")
    ((1, 2), (3, 3))
    >>> normalize_pads((0, 2), 1, "padding", "Conv1D")
    ((0, 2),)
    """
    allowed = (
        f"an int, {rank} ints, or {rank} (begin, end) pairs of non-negative ints"
    )

    def fail(exc: type[Exception] = ValueError) -> Exception:
        return exc(f"{owner}: the `{name}` argument must be {allowed}. Received {name}={value!r}.")

    def pair(item: Any) -> tuple[int, int]:
        if _is_int(item):
            return (int(item), int(item))
        if isinstance(item, (tuple, list)) and len(item) == 2 and all(_is_int(v) for v in item):
            return (int(item[0]), int(item[1]))
        raise fail()

    if _is_int(value):
        pads = ((int(value), int(value)),) * rank
    elif isinstance(value, (tuple, list)):
        items = list(value)
        if rank == 1 and len(items) == 2 and all(_is_int(v) for v in items):
            items = [tuple(items)]
        if len(items) != rank:
            raise fail()
        pads = tuple(pair(item) for item in items)
    else:
        raise fail(TypeError)
    if any(v < 0 for p in pads for v in p):
        raise fail()
    return pads


def normalize_padding(
    value: Any, rank: int, owner: str, *, modes: Sequence[str] = PADDING_MODES
) -> str | Pads:
    """Canonicalise a ``padding`` argument: a lower-cased mode name or :data:`Pads`.

    >>> normalize_padding("SAME", 2, "Conv2D")
    'same'
    >>> normalize_padding(2, 1, "Conv1D")
    ((2, 2),)
    """
    if isinstance(value, str):
        mode = value.lower()
        if mode not in modes:
            raise ValueError(
                f"{owner}: the `padding` argument must be one of {tuple(modes)}, an int, "
                f"per-dim ints or per-dim (begin, end) pairs. Received: padding={value!r}."
            )
        return mode
    return normalize_pads(value, rank, "padding", owner)


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TF's ``'same'`` split of one dim: the odd pixel goes at the end.

    ``out = ceil(size / stride)``;
    ``total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)``;
    ``(total // 2, total - total // 2)``.

    >>> same_pads(224, 7, 2, 1)
    (2, 3)
    >>> same_pads(10, 2, 1, 1)
    (0, 1)
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return (total // 2, total - total // 2)


def resolve_padding(
    padding: str | Pads,
    sizes: Sequence[int | None],
    kernel_size: Sequence[int],
    strides: Sequence[int],
    dilation_rate: Sequence[int],
) -> tuple[tuple[int, int] | None, ...]:
    """Turn canonical padding into explicit ``(begin, end)`` pairs per dim.

    - ``'valid'``: ``(0, 0)``;
    - ``'same'``: :func:`same_pads` (``None`` when the size is unknown and the
      stride is above 1, because the split then depends on the size);
    - ``'causal'``: ``((k - 1) * d, 0)``, all padding at the beginning;
    - ``'full'``: ``(k_eff - 1, k_eff - 1)`` with ``k_eff = (k - 1) * d + 1``;
    - explicit pairs: unchanged.

    >>> resolve_padding("same", (5, 6), (3, 3), (2, 2), (1, 1))
    ((1, 1), (0, 1))
    >>> resolve_padding("causal", (None,), (3,), (1,), (2,))
    ((4, 0),)
    """
    if not isinstance(padding, str):
        return tuple(padding)
    resolved = []
    for size, k, s, d in zip(sizes, kernel_size, strides, dilation_rate):
        span = (k - 1) * d
        if padding == "valid":
            resolved.append((0, 0))
        elif padding == "causal":
            resolved.append((span, 0))
        elif padding == "full":
            resolved.append((span, span))
        elif size is None:
            resolved.append((span // 2, span - span // 2) if s == 1 else None)
        else:
            resolved.append(same_pads(size, k, s, d))
    return tuple(resolved)
