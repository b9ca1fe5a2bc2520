"""Argument checks shared by the companion layers (activations, noise, normalizations, rearranging).

Each returns the canonical value or raises the ``ValueError`` / ``TypeError`` that
names the layer, the argument, what is allowed and what was received.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Callable

import torch

from .. import constraints, initializers, regularizers


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int (``bool`` is not).

    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, Integral) and not isinstance(value, bool)


def real(value: Any, argument: str, owner: str, *, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a float, checked to lie in ``[low, high]`` (either bound may be open-ended: ``None``).

    >>> real(2, "stddev", "GaussianNoise", low=0.0)
    2.0
    >>> real(-1.0, "stddev", "GaussianNoise", low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    ValueError: GaussianNoise: invalid value for argument `stddev`: expected a float between 0.0 and 1.0. Received: stddev=-1.0.
    """
    allowed = (
        f"between {low} and {high}" if low is not None and high is not None
        else f">= {low}" if low is not None else f"<= {high}" if high is not None else ""
    )
    expected = f"expected a float {allowed}".rstrip()
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: invalid value for argument `{argument}`: {expected}. Received: {argument}={value!r}.")
    number = float(value)
    if (low is not None and not number >= low) or (high is not None and not number <= high):
        raise ValueError(f"{owner}: invalid value for argument `{argument}`: {expected}. Received: {argument}={value!r}.")
    return number


def seed(value: Any, owner: str) -> int | None:
    """A random layer's ``seed``: an int or ``None``.

    >>> seed(None, "GaussianNoise") is None
    True
    """
    if value is not None and not is_int(value):
        raise TypeError(f"{owner}: `seed` must be an int or None. Received: seed={value!r}.")
    return None if value is None else int(value)


def axes(value: Any, argument: str, owner: str) -> int | list[int]:
    """An axis argument that is an int or a list/tuple of ints; a sequence comes back as a list (Keras's form).

    >>> axes((1, 2), "axis", "UnitNormalization"), axes(-1, "axis", "UnitNormalization")
    ([1, 2], -1)
    """
    if is_int(value):
        return int(value)
    if isinstance(value, (list, tuple)) and all(is_int(a) for a in value):
        return [int(a) for a in value]
    raise TypeError(
        f"{owner}: invalid value for argument `{argument}`: expected an int or a list/tuple of ints. "
        f"Received: {argument}={value!r}."
    )


def resolve_axes(axis: int | list[int], ndim: int, owner: str) -> list[int]:
    """The axes of ``axis`` for an input of rank ``ndim``, as non-negative ints; out of range is a ``ValueError``.

    >>> resolve_axes([-1, 1], 4, "LayerNormalization")
    [3, 1]
    """
    listed = [axis] if isinstance(axis, int) else list(axis)
    bad = [a for a in listed if not -ndim <= a < ndim]
    if bad:
        raise ValueError(
            f"{owner}: axis {bad[0]} is out of bounds for an input of rank {ndim} (allowed: {-ndim} to {ndim - 1}). "
            f"Received: axis={axis!r}."
        )
    return [a % ndim for a in listed]


def float_autocast(x: torch.Tensor, compute: torch.dtype) -> torch.Tensor:
    """Keras's input autocast: a floating ``x`` takes the compute dtype; integer inputs are kept.

    >>> float_autocast(torch.ones(1, dtype=torch.float64), torch.float32).dtype, float_autocast(torch.ones(1, dtype=torch.int8), torch.float32).dtype
    (torch.float32, torch.int8)
    """
    return x.to(compute) if x.is_floating_point() and x.dtype != compute else x


#: The registries of a weight's options, by option kind.
OPTION_KINDS: dict[str, Any] = {"initializer": initializers, "regularizer": regularizers, "constraint": constraints}


def weight_options(resolve: Callable[[Any, str, Any], Any], roles: tuple[str, ...], given: dict[str, Any]) -> dict[str, Any]:
    """Resolve ``<role>_initializer``, ``<role>_regularizer`` and ``<role>_constraint`` for each role.

    ``given`` maps each option name to what the user passed; ``resolve`` is the layer's
    ``resolve_option``. Returns the resolved objects by option name, in Keras's config
    order (every initializer, then every regularizer, then every constraint).
    """
    return {
        f"{role}_{kind}": resolve(registry, f"{role}_{kind}", given[f"{role}_{kind}"])
        for kind, registry in OPTION_KINDS.items()
        for role in roles
    }


def serialize_options(options: dict[str, Any]) -> dict[str, Any]:
    """The config form of :func:`weight_options`' result (Keras's serialized initializers, regularizers, constraints).

    >>> serialize_options({"alpha_initializer": initializers.get("zeros"), "alpha_regularizer": None})["alpha_initializer"]["class_name"]
    'Zeros'
    """
    return {name: OPTION_KINDS[name.rsplit("_", 1)[1]].serialize(value) for name, value in options.items()}
