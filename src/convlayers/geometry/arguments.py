"""Normalisation of scalar-or-tuple layer arguments, with Keras-style errors.

Every function takes ``owner``, the layer's display name, so that a message
says which layer refused which argument, the value it received and what is
allowed.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

DATA_FORMATS = ("channels_last", "channels_first")


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def normalize_positive_int(value: Any, name: str, owner: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` that is ``> 0`` (``>= 0`` with ``allow_zero``).

    >>> normalize_positive_int(8, "filters", "Conv2D")
    8
    """
    if not _is_int(value):
        raise TypeError(
            f"{owner}: the `{name}` argument must be an integer. "
            f"Received {name}={value!r} of type {type(value).__name__}."
        )
    bound, relation = (0, ">= 0") if allow_zero else (1, "> 0")
    if value < bound:
        raise ValueError(
            f"{owner}: invalid value for argument `{name}`. Expected a value {relation}. "
            f"Received {name}={value!r}."
        )
    return int(value)


def normalize_tuple(
    value: Any, n: int, name: str, owner: str, *, allow_zero: bool = False
) -> tuple[int, ...]:
    """Broadcast an int to an ``n``-tuple, or check a sequence of ``n`` ints.

    Values must be ``> 0`` (``>= 0`` with ``allow_zero``), as Keras's
    ``standardize_tuple`` requires.

    >>> normalize_tuple(3, 2, "kernel_size", "Conv2D")
    (3, 3)
    >>> normalize_tuple([1, 2], 2, "strides", "Conv2D")
    (1, 2)
    """
    expected = f"an integer or a tuple of {n} integers"
    if _is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and all(_is_int(v) for v in value):
        if len(value) != n:
            raise ValueError(
                f"{owner}: the `{name}` argument must be {expected}. "
                f"Received {name}={value!r} of length {len(value)}."
            )
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{owner}: the `{name}` argument must be {expected}. Received {name}={value!r}.")
    bound, relation = (0, ">= 0") if allow_zero else (1, "> 0")
    bad = sorted({v for v in values if v < bound})
    if bad:
        raise ValueError(
            f"{owner}: the `{name}` argument must be {expected}. Received {name}={value!r}, "
            f"including values {set(bad)} that do not satisfy `value {relation}`."
        )
    return values


def normalize_data_format(value: Any, owner: str) -> str:
    """Return ``'channels_last'`` or ``'channels_first'``; ``None`` means channels_last.

    Case-insensitive, as in Keras.

    >>> normalize_data_format("CHANNELS_FIRST", "Conv2D")
    'channels_first'
    """
    if value is None:
        return "channels_last"
    if isinstance(value, str) and value.lower() in DATA_FORMATS:
        return value.lower()
    raise ValueError(
        f"{owner}: the `data_format` argument must be one of {set(DATA_FORMATS)}. "
        f"Received: data_format={value!r}."
    )
