"""Wolfram's option forms, normalised: per-dim integers, ``PaddingSize`` and ``LearningRateMultipliers``.

The Wolfram Language states sizes as an integer for every dimension or a list
with one entry per dimension (``"Stride" -> 2``, ``"Stride" -> {2, 1}``), and
padding as ``p``, ``{p1, p2, ...}``, ``{{b1, e1}, ...}`` or ``"Same"``
(reference A1.2). These turn them into the core's canonical values, with the
rank known; nothing here computes.

>>> per_dim(2, 3, "Stride", "ConvolutionLayer")
(2, 2, 2)
>>> padding_rule([1, (0, 2)], 2, "ConvolutionLayer")
Explicit(pairs=((1, 1), (0, 2)))
>>> padding_rule("Same", 1, "ConvolutionLayer")
Same(extra_at='end')
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Mapping

from ..geometry import Explicit, PaddingRule, Same, normalize_pads


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def rank_of(value: Any) -> int | None:
    """The number of dims a per-dim option states (``None``: an integer, for every dim)."""
    return None if _is_int(value) else len(value)


def per_dim(value: Any, rank: int, name: str, owner: str, minimum: int = 1) -> tuple[int, ...]:
    """An integer (every dim) or ``rank`` integers, each at least ``minimum``, as a tuple."""
    values = (value,) * rank if _is_int(value) else tuple(value) if isinstance(value, (list, tuple)) else None
    if values is None or len(values) != rank or not all(_is_int(v) and v >= minimum for v in values):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(
            f"{owner}: the value of {name} should be a {kind} integer or a list of {rank} {kind} integers "
            f"(one per spatial dimension). Received {name} -> {value!r}."
        )
    return tuple(int(v) for v in values)


def padding_rank(value: Any) -> int | None:
    """The number of dims a ``PaddingSize`` states (``None``: an integer or ``"Same"``, for every dim)."""
    return None if _is_int(value) or value == "Same" else len(value)


def padding_rule(value: Any, rank: int, owner: str) -> PaddingRule:
    """The core padding rule of a ``PaddingSize``: explicit ``(begin, end)`` pairs, or ``"Same"``.

    ``"Same"`` gives ``ceil(d / s)`` outputs; how Wolfram splits an odd total is
    not documented (reference A1.4): the extra element goes at the end, as in
    TF and ONNX's ``SAME_UPPER``.
    """
    if value == "Same":
        return Same(extra_at="end")
    try:
        return Explicit(normalize_pads(value, rank, "PaddingSize", owner))
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: the value of PaddingSize should be a non-negative integer, a list of {rank} of them, a list of "
            f"{rank} pairs {{begin, end}}, or \"Same\". Received PaddingSize -> {value!r}."
        ) from None


def learning_rate_multipliers(value: Any, arrays: tuple[str, ...], owner: str) -> dict[str, float]:
    """Each array's learning-rate multiplier: ``None`` (all 1), a number (all arrays) or ``{array: number}``.

    Wolfram's ``None`` for an array freezes it, as 0 does.

    >>> learning_rate_multipliers({"Weights": 0}, ("Weights", "Biases"), "ConvolutionLayer")
    {'Weights': 0.0, 'Biases': 1.0}
    """
    if value is None:
        return {name: 1.0 for name in arrays}
    if isinstance(value, Real) and not isinstance(value, bool):
        return {name: float(value) for name in arrays}
    if isinstance(value, Mapping) and set(value) <= set(arrays):
        return {name: 0.0 if value.get(name, 1.0) is None else float(value.get(name, 1.0)) for name in arrays}
    raise ValueError(
        f"{owner}: LearningRateMultipliers should be a number or an association from {list(arrays)} to numbers. "
        f"Received {value!r}."
    )
