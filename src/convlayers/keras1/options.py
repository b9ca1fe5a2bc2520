"""Keras 1's activations, regularizers and constraints, translated to the core's objects and back.

Keras 1 names them as Keras 3 mostly does, with a few differences that change
numbers or configs: ``hard_sigmoid`` is ``clip(0.2 x + 0.5, 0, 1)`` (Keras 3:
``x / 6 + 0.5``); a regularizer config is ``{"name": "L1L2Regularizer", "l1": ...,
"l2": ...}`` with shortcuts ``l1``, ``l2``, ``l1l2`` and their ``activity_``
forms (factor 0.01); a constraint config is ``{"name": "MaxNorm", "m": 2,
"axis": 0}``, with lower-case aliases (``maxnorm``, ``nonneg``, ``unitnorm``).

>>> activation("hard_sigmoid")(torch.tensor([-5.0, 0.0, 1.0])).tolist()
[0.0, 0.5, 0.699999988079071]
>>> regularizer({"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01}).get_config()
{'l1': 0.0, 'l2': 0.01}
>>> constraint_config(constraint("maxnorm"))
{'name': 'MaxNorm', 'm': 2, 'axis': 0}
"""

from __future__ import annotations

from typing import Any

import torch

from .. import activations, constraints, regularizers
from ..activations import Activation

#: Keras 1.2.2's activation names (``'linear'`` is also what it writes for none).
ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "hard_sigmoid", "softmax", "softplus", "softsign", "elu")
def _hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


_HARD_SIGMOID = Activation("hard_sigmoid", _hard_sigmoid, elementwise=True)


def activation(identifier: Any) -> Activation:
    """A Keras 1 activation: a name, ``None`` (linear), or an activation object / callable."""
    if identifier == "hard_sigmoid":
        return _HARD_SIGMOID
    if isinstance(identifier, str) and identifier not in ACTIVATIONS:
        raise ValueError(f"Unknown Keras 1 activation {identifier!r}. Keras 1.2.2 knows: {', '.join(ACTIVATIONS)}.")
    return activations.get(identifier)


_REGULARIZER_SHORTCUTS = {
    "l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1l2": (0.01, 0.01),
    "activity_l1": (0.01, 0.0), "activity_l2": (0.0, 0.01), "activity_l1l2": (0.01, 0.01),
}
_REGULARIZER_CLASSES = ("L1L2Regularizer", "WeightRegularizer", "ActivityRegularizer")


def regularizer(identifier: Any) -> regularizers.Regularizer | None:
    """A Keras 1 regularizer (``l1·Σ|x| + l2·Σx²``): ``None``, a shortcut name, a Keras 1 config, or a core object."""
    if identifier is None or isinstance(identifier, regularizers.Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier in _REGULARIZER_SHORTCUTS:
        return regularizers.L1L2(*_REGULARIZER_SHORTCUTS[identifier])
    if isinstance(identifier, dict) and identifier.get("name") in _REGULARIZER_CLASSES:
        return regularizers.L1L2(float(identifier.get("l1", 0.0)), float(identifier.get("l2", 0.0)))
    raise ValueError(
        f"Unknown Keras 1 regularizer {identifier!r}: expected None, one of {sorted(_REGULARIZER_SHORTCUTS)}, a config "
        f"{{'name': 'L1L2Regularizer', 'l1': ..., 'l2': ...}}, or a convlayers regularizer."
    )


def regularizer_config(value: regularizers.Regularizer | None) -> dict[str, Any] | None:
    """What a Keras 1 config stores for a regularizer."""
    if value is None:
        return None
    config = value.get_config()
    l1, l2 = config.get("l1", 0.0), config.get("l2", 0.0)
    if set(config) - {"l1", "l2"}:
        raise ValueError(f"Keras 1 has no regularizer like {value!r}: only l1 and l2 factors.")
    return {"name": "L1L2Regularizer", "l1": float(l1 or 0.0), "l2": float(l2 or 0.0)}


_CONSTRAINTS = {
    "MaxNorm": lambda c: constraints.MaxNorm(max_value=c.get("m", 2), axis=c.get("axis", 0)),
    "NonNeg": lambda c: constraints.NonNeg(),
    "UnitNorm": lambda c: constraints.UnitNorm(axis=c.get("axis", 0)),
    "MinMaxNorm": lambda c: constraints.MinMaxNorm(
        min_value=c.get("low", 0.0), max_value=c.get("high", 1.0), rate=c.get("rate", 1.0), axis=c.get("axis", 0)
    ),
}
_CONSTRAINT_ALIASES = {"maxnorm": "MaxNorm", "nonneg": "NonNeg", "unitnorm": "UnitNorm", "minmaxnorm": "MinMaxNorm"}


def constraint(identifier: Any) -> constraints.Constraint | None:
    """A Keras 1 constraint: ``None``, a name, a Keras 1 config (``{"name": "MaxNorm", "m": 2, "axis": 0}``), or a core object."""
    if identifier is None or isinstance(identifier, constraints.Constraint):
        return identifier
    config = {"name": _CONSTRAINT_ALIASES.get(identifier, identifier)} if isinstance(identifier, str) else identifier
    if isinstance(config, dict) and config.get("name") in _CONSTRAINTS:
        return _CONSTRAINTS[config["name"]](config)
    raise ValueError(
        f"Unknown Keras 1 constraint {identifier!r}: expected None, one of {sorted(_CONSTRAINT_ALIASES)}, a config "
        f"{{'name': 'MaxNorm', 'm': ..., 'axis': ...}}, or a convlayers constraint."
    )


def constraint_config(value: constraints.Constraint | None) -> dict[str, Any] | None:
    """What a Keras 1 config stores for a constraint."""
    if value is None:
        return None
    config = value.get_config()
    if isinstance(value, constraints.MaxNorm):
        return {"name": "MaxNorm", "m": config["max_value"], "axis": config["axis"]}
    if isinstance(value, constraints.MinMaxNorm):
        return {"name": "MinMaxNorm", "low": config["min_value"], "high": config["max_value"],
                "rate": config["rate"], "axis": config["axis"]}
    if isinstance(value, constraints.UnitNorm):
        return {"name": "UnitNorm", "axis": config["axis"]}
    if isinstance(value, constraints.NonNeg):
        return {"name": "NonNeg"}
    raise ValueError(f"Keras 1 has no constraint like {value!r}.")
