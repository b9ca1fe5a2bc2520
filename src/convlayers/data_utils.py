"""Keras's ``pack_x_y_sample_weight``/``unpack_x_y_sample_weight``: a batch as ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

>>> unpack_x_y_sample_weight(pack_x_y_sample_weight("x", "y"))
('x', 'y', None)
"""

from __future__ import annotations

from typing import Any

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch ``fit`` reads back: ``x`` alone (``(x,)`` when ``x`` is a list or tuple), ``(x, y)`` or ``(x, y, sample_weight)``.

    >>> pack_x_y_sample_weight([1, 2]), pack_x_y_sample_weight(1), pack_x_y_sample_weight(1, 2, 3)
    (([1, 2],), 1, (1, 2, 3))
    """
    if y is None:
        # A bare tuple would read as (x, y); wrapping keeps several inputs one `x`.
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (lists count as tuples).

    >>> unpack_x_y_sample_weight([1, 2])
    (1, 2, None)
    >>> unpack_x_y_sample_weight((1, 2, 3, 4))
    Traceback (most recent call last):
    ...
    ValueError: Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: (1, 2, 3, 4)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))  # type: ignore[return-value]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: {data}")
