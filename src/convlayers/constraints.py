"""Keras 3 weight constraints by name: ``constraint(weight)`` returns the projected weight.

Weights are given in Keras layout, so ``axis`` means what it means in Keras: for a Conv2D kernel
``(kh, kw, in, out)``, ``axis=[0, 1, 2]`` constrains each filter. Norms are taken with Keras's
epsilon, 1e-7. Names: ``max_norm`` (max_value 2, axis 0), ``min_max_norm`` (0.0, 1.0, rate 1.0,
axis 0), ``non_neg``, ``unit_norm`` (axis 0), and the CamelCase class names.

>>> import torch
>>> get("non_neg")(torch.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from .registry import Configurable, Registry, Wrapped

__all__ = [
    "CallableConstraint",
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "register",
    "serialize",
    "unit_norm",
]

Axis = int | Sequence[int]
_EPSILON = 1e-7  # keras.config.epsilon()


def _checked_axis(axis: Any) -> Axis:
    ints = isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    if not ints and (not isinstance(axis, int) or isinstance(axis, bool)):
        raise ValueError(f"Invalid value for argument `axis`: expected an int or a list of ints. Received: axis={axis!r}")
    return axis


def _norms(w: Tensor, axis: Axis) -> Tensor:
    dim = axis if isinstance(axis, int) else tuple(axis)
    return torch.sqrt(torch.sum(w * w, dim=dim, keepdim=True))


class Constraint(Configurable, ABC):
    """Base class: ``constraint(weight)`` returns the weight projected onto the allowed set.

    >>> UnitNorm()(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    @abstractmethod
    def __call__(self, w: Tensor) -> Tensor:
        """The projected weight (Keras layout), same shape as ``w``."""


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along ``axis`` exceeds ``max_value``: ``w * clip(n, 0, max) / (eps + n)``.

    >>> round(MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).norm().item(), 5)
    1.0
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value, self.axis = max_value, _checked_axis(axis)

    def __call__(self, w: Tensor) -> Tensor:
        norms = _norms(w, self.axis)
        return w * (torch.clamp(norms, 0, self.max_value) / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm ``n`` towards ``[min_value, max_value]`` at ``rate``.

    ``w * (rate * clip(n, min, max) + (1 - rate) * n) / (eps + n)``.

    >>> MinMaxNorm(1.0, 1.0)(torch.tensor([[0.0], [0.5]]))
    tensor([[0.0000],
            [1.0000]])
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, _checked_axis(axis)

    def __call__(self, w: Tensor) -> Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """``max(w, 0)``.

    >>> NonNeg()(torch.tensor([-0.5, 0.5]))
    tensor([0.0000, 0.5000])
    """

    def __call__(self, w: Tensor) -> Tensor:
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Divides each slice by its L2 norm along ``axis``: ``w / (eps + n)``.

    >>> UnitNorm(axis=1)(torch.tensor([[0.0, 2.0]]))
    tensor([[0., 1.]])
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = _checked_axis(axis)

    def __call__(self, w: Tensor) -> Tensor:
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class CallableConstraint(Wrapped, Constraint):
    """A user function ``fn(weight) -> projected weight``.

    >>> get(lambda w: w.clamp(max=1.0))(torch.tensor([3.0]))
    tensor([1.])
    """

    def __call__(self, w: Tensor) -> Tensor:
        return torch.as_tensor(self.fn(w))


_NAMES: dict[str, type[Constraint]] = {
    "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "max_norm": MaxNorm, "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
}
_REGISTRY: Registry[Constraint] = Registry("constraint", "keras.constraints", Constraint, _NAMES, CallableConstraint)


def get(identifier: Any) -> Constraint | None:
    """The constraint for ``identifier`` (a Keras name, config, instance or callable); ``None`` stays ``None``.

    >>> get("max_norm"), get(None)
    (MaxNorm(max_value=2, axis=0), None)
    """
    return None if identifier is None else _REGISTRY.get(identifier)


def serialize(identifier: Any) -> dict[str, Any] | None:
    """Keras 3's dict form of a constraint (``None`` stays ``None``).

    >>> serialize(UnitNorm(axis=[0, 1, 2]))["config"]
    {'axis': [0, 1, 2]}
    """
    return None if identifier is None else _REGISTRY.serialize(get(identifier))


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Constraint | None:
    """Keras's ``deserialize``: the constraint a name or a :func:`serialize`'d dict describes (``None`` stays ``None``).

    ``custom_objects`` (``{name: class or function}``) is looked up before the built-in names.

    >>> deserialize({"class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}})
    MaxNorm(max_value=2.0, axis=0)
    """
    return None if config is None else _REGISTRY.deserialize(config, custom_objects)


def register(name: str, obj: Callable[[Tensor], Tensor] | type[Constraint] | Constraint) -> None:
    """Make ``get(name)`` (and configs naming it) resolve to a custom constraint or function.

    >>> def clip_one(w): return w.clamp(-1.0, 1.0)
    >>> register("clip_one", clip_one)
    >>> get(serialize(clip_one))(torch.tensor([5.0]))
    tensor([1.])
    """
    _REGISTRY.register(name, obj)


# Keras's lower-case spellings of the classes (``keras.constraints.max_norm is MaxNorm``).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm
