"""Keras 3 weight regularizers by name: ``reg(weight)`` is a differentiable scalar penalty.

Weights are given in Keras layout. Names: ``l1``/``L1`` and ``l2``/``L2`` (factor 0.01),
``l1l2``/``L1L2`` (Keras 3 defaults l1 = l2 = 0.0), ``l1_l2`` (tf.keras 2's name, which Keras 3
rejects, with its defaults l1 = l2 = 0.01), ``orthogonal_regularizer``/``OrthogonalRegularizer``.

>>> import torch
>>> get("l2")(torch.tensor([3.0, 4.0]))
tensor(0.2500)
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from .registry import Configurable, Registry, Wrapped

__all__ = [
    "L1", "L1L2", "L2", "CallableRegularizer", "OrthogonalRegularizer", "Regularizer", "get", "register", "serialize",
    "l1", "l1_l2", "l2", "orthogonal_regularizer",
]

_EPSILON = 1e-7  # keras.config.epsilon()


def _factor(value: Any, name: str) -> float:
    """Keras's ``validate_float_arg``: a finite, non-negative int or float."""
    if not isinstance(value, (int, float)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(f"Invalid value for argument `{name}`: expected a non-negative float. Received: {name}={value!r}")
    return float(value)


class Regularizer(Configurable, ABC):
    """Base class: ``reg(weight)`` returns a scalar tensor to add to the loss.

    >>> L1(0.5)(torch.tensor([1.0, -3.0]))
    tensor(2.)
    """

    @abstractmethod
    def __call__(self, x: Tensor) -> Tensor:
        """The penalty for weight ``x`` (Keras layout), a scalar tensor."""


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    >>> L1().get_config()
    {'l1': 0.01}
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Tensor) -> Tensor:
        return self.l1 * x.abs().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)``.

    >>> L2(0.5)(torch.tensor([2.0]))
    tensor(2.)
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        return self.l2 * x.square().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``; a zero factor adds no term, as in Keras.

    >>> L1L2(l1=1.0, l2=1.0)(torch.tensor([-2.0]))
    tensor(6.)
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        total = x.new_zeros(())
        if self.l1:
            total = total + self.l1 * x.abs().sum()
        if self.l2:
            total = total + self.l2 * x.square().sum()
        return total

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (``mode="rows"``) or columns of the weight.

    Keras's formula: L2-normalise the rows (columns), take the absolute off-diagonal entries of
    their Gram matrix, and return ``factor * 0.5 * sum / (n * (n - 1) / 2)`` for ``n`` rows
    (columns). Keras accepts rank 2 only; higher-rank weights (conv kernels) are first reshaped
    to ``(-1, shape[-1])``, one column per output channel.

    >>> float(OrthogonalRegularizer(factor=1.0)(torch.eye(3)))
    0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. Received: mode={mode!r}')
        self.mode = mode

    def __call__(self, x: Tensor) -> Tensor:
        if x.ndim < 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank >= 2. Received: inputs.shape={tuple(x.shape)}")
        matrix = x.reshape(-1, x.shape[-1])
        if self.mode == "columns":
            matrix = matrix.T
        inv_norm = torch.rsqrt(matrix.square().sum(dim=1, keepdim=True)).clamp(max=1.0 / _EPSILON)
        matrix = matrix * inv_norm
        size = matrix.shape[0]
        off_diagonal = (matrix @ matrix.T) * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        return self.factor * 0.5 * off_diagonal.abs().sum() / (size * (size - 1.0) / 2.0)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


class CallableRegularizer(Wrapped, Regularizer):
    """A user function ``fn(weight) -> scalar``.

    >>> get(lambda w: w.sum())(torch.ones(3))
    tensor(3.)
    """

    def __call__(self, x: Tensor) -> Tensor:
        return torch.as_tensor(self.fn(x))


_NAMES: dict[str, Callable[..., Regularizer]] = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
    "l1_l2": functools.partial(L1L2, l1=0.01, l2=0.01),  # tf.keras 2's `l1_l2()` defaults
}
_REGISTRY: Registry[Regularizer] = Registry("regularizer", "keras.regularizers", Regularizer, _NAMES, CallableRegularizer)


def get(identifier: Any) -> Regularizer | None:
    """The regularizer for ``identifier`` (a Keras name, config, instance or callable); ``None`` stays ``None``.

    >>> get("l1_l2"), get(None)
    (L1L2(l1=0.01, l2=0.01), None)
    """
    return None if identifier is None else _REGISTRY.get(identifier)


def serialize(identifier: Any) -> dict[str, Any] | None:
    """Keras 3's dict form of a regularizer (``None`` stays ``None``).

    >>> serialize("l2")["config"]
    {'l2': 0.01}
    """
    return None if identifier is None else _REGISTRY.serialize(get(identifier))


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Regularizer | None:
    """Keras's ``deserialize``: the regularizer a name or a :func:`serialize`'d dict describes (``None`` stays ``None``).

    ``custom_objects`` (``{name: class or function}``) is looked up before the built-in names.

    >>> deserialize(serialize("l2"))
    L2(l2=0.01)
    """
    return None if config is None else _REGISTRY.deserialize(config, custom_objects)


def register(name: str, obj: Callable[[Tensor], Tensor] | type[Regularizer] | Regularizer) -> None:
    """Make ``get(name)`` (and configs naming it) resolve to a custom regularizer or function.

    >>> def total(w): return w.sum()
    >>> register("total", total)
    >>> get(serialize(total))(torch.ones(2))
    tensor(2.)
    """
    _REGISTRY.register(name, obj)


# Keras's lower-case spellings are the classes themselves (keras.regularizers.l2 is L2).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer
