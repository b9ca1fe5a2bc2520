"""Keras optimizer names and defaults, as torch optimizers.

``compile(optimizer=...)`` takes a Keras name (``"adam"``, ``"Adam"``...), a Keras-style
spec (``Adam(learning_rate=1e-4)``), a ready ``torch.optim.Optimizer``, or a factory called
with the model's parameters (``functools.partial(torch.optim.SGD, lr=0.1)``, or a torch
optimizer class). Keras names are built on torch's implementations with Keras's defaults
and argument names. Where the update rules differ, the differences are only where
``epsilon`` enters:

=========  ===========================================================  ================================
name       Keras defaults                                                torch update vs Keras
=========  ===========================================================  ================================
sgd        learning_rate 0.01, momentum 0, nesterov False                identical
adam       1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad False  eps added after bias correction
adamw      as adam, weight_decay 0.004                                   as adam; decay identical
rmsprop    1e-3, rho 0.9, momentum 0, epsilon 1e-7, centered False     eps outside the sqrt (Keras: in)
adagrad    1e-3, initial_accumulator_value 0.1, epsilon 1e-7            eps outside the sqrt (Keras: in)
adadelta   1e-3, rho 0.95, epsilon 1e-7                                  identical
adamax     1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7                 eps inside the max (Keras: added)
nadam      1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7                 identical (momentum_decay=1)
=========  ===========================================================  ================================

Keras's Adam family adds ``epsilon`` to ``sqrt(v)`` before bias correction (Kingma and Ba's
"epsilon hat"); torch adds it after, so torch's effective epsilon is Keras's divided by
``sqrt(1 - beta_2**t)``. With ``epsilon=1e-7`` the steps agree to about 1e-5 relative once
``sqrt(v)`` is well above epsilon.

>>> import torch
>>> optimizer = get("adam").build([torch.nn.Parameter(torch.zeros(2))])
>>> type(optimizer).__name__, optimizer.defaults["lr"], optimizer.defaults["eps"]
('Adam', 0.001, 1e-07)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import torch


@dataclass(frozen=True)
class _Recipe:
    """How one Keras optimizer maps onto torch: the class, Keras's arguments, the translation."""

    torch_class: type[torch.optim.Optimizer]
    defaults: Mapping[str, Any]
    to_torch: Callable[[dict[str, Any]], dict[str, Any]]


def _adam_like(a: dict[str, Any]) -> dict[str, Any]:
    return {"lr": a["learning_rate"], "betas": (a["beta_1"], a["beta_2"]), "eps": a["epsilon"]}


_ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
RECIPES: dict[str, _Recipe] = {
    "sgd": _Recipe(
        torch.optim.SGD,
        {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
        lambda a: {"lr": a["learning_rate"], "momentum": a["momentum"], "nesterov": a["nesterov"]},
    ),
    "adam": _Recipe(torch.optim.Adam, {**_ADAM, "amsgrad": False}, lambda a: {**_adam_like(a), "amsgrad": a["amsgrad"]}),
    "adamw": _Recipe(
        torch.optim.AdamW,
        {**_ADAM, "weight_decay": 0.004, "amsgrad": False},
        lambda a: {**_adam_like(a), "weight_decay": a["weight_decay"], "amsgrad": a["amsgrad"]},
    ),
    "rmsprop": _Recipe(
        torch.optim.RMSprop,
        {"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
        lambda a: {"lr": a["learning_rate"], "alpha": a["rho"], "momentum": a["momentum"], "eps": a["epsilon"], "centered": a["centered"]},
    ),
    "adagrad": _Recipe(
        torch.optim.Adagrad,
        {"learning_rate": 1e-3, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        lambda a: {"lr": a["learning_rate"], "initial_accumulator_value": a["initial_accumulator_value"], "eps": a["epsilon"]},
    ),
    "adadelta": _Recipe(
        torch.optim.Adadelta,
        {"learning_rate": 1e-3, "rho": 0.95, "epsilon": 1e-7},
        lambda a: {"lr": a["learning_rate"], "rho": a["rho"], "eps": a["epsilon"]},
    ),
    "adamax": _Recipe(torch.optim.Adamax, dict(_ADAM), _adam_like),
    # Keras's Nadam momentum schedule is beta_1 * (1 - 0.5 * 0.96**t): torch's with momentum_decay=1.
    "nadam": _Recipe(torch.optim.NAdam, dict(_ADAM), lambda a: {**_adam_like(a), "momentum_decay": 1.0}),
}


class KerasOptimizer:
    """A Keras optimizer by name and arguments; :meth:`build` makes the torch optimizer.

    Args:
        name: a Keras optimizer name (case-insensitive): ``sgd``, ``adam``, ``adamw``,
            ``rmsprop``, ``adagrad``, ``adadelta``, ``adamax``, ``nadam``.
        learning_rate: Keras's first positional argument.
        **arguments: the optimizer's other Keras arguments (``beta_1``, ``epsilon``, ``rho``...).

    >>> KerasOptimizer("SGD", 0.1, momentum=0.9).arguments
    {'learning_rate': 0.1, 'momentum': 0.9, 'nesterov': False}
    """

    def __init__(self, name: str, learning_rate: float | None = None, **arguments: Any) -> None:
        key = name.lower() if isinstance(name, str) else name
        if key not in RECIPES:
            raise ValueError(f"Unknown optimizer {name!r}. Allowed names: {', '.join(RECIPES)}; or a torch.optim.Optimizer, or a factory params -> optimizer.")
        recipe = RECIPES[key]
        if learning_rate is not None:
            arguments["learning_rate"] = learning_rate
        unknown = sorted(set(arguments) - set(recipe.defaults))
        if unknown:
            raise ValueError(
                f"Optimizer {key!r}: unsupported arguments {unknown}. Allowed: {', '.join(recipe.defaults)}. "
                f"Received: {arguments!r}."
            )
        self.name = key
        self.arguments = {**recipe.defaults, **arguments}

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        """The torch optimizer over ``params``."""
        recipe = RECIPES[self.name]
        return recipe.torch_class(params, **recipe.to_torch(self.arguments))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self.arguments}

    def __repr__(self) -> str:
        return f"KerasOptimizer({self.name!r}, {', '.join(f'{k}={v!r}' for k, v in self.arguments.items())})"


def _named(keras_name: str, class_name: str) -> type[KerasOptimizer]:
    def __init__(self: KerasOptimizer, learning_rate: float | None = None, **arguments: Any) -> None:
        KerasOptimizer.__init__(self, keras_name, learning_rate, **arguments)

    doc = f"Keras's ``{class_name}`` optimizer spec: ``{class_name}(learning_rate, **arguments)``; see the module table."
    return type(class_name, (KerasOptimizer,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


SGD = _named("sgd", "SGD")
Adam = _named("adam", "Adam")
AdamW = _named("adamw", "AdamW")
RMSprop = _named("rmsprop", "RMSprop")
Adagrad = _named("adagrad", "Adagrad")
Adadelta = _named("adadelta", "Adadelta")
Adamax = _named("adamax", "Adamax")
Nadam = _named("nadam", "Nadam")


class _Ready:
    """An optimizer the user built: used as is."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return self.optimizer


class _Factory:
    """A callable ``params -> optimizer`` (a torch optimizer class, a ``functools.partial``)."""

    def __init__(self, factory: Callable[..., torch.optim.Optimizer]) -> None:
        self.factory = factory

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        optimizer = self.factory(params)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"The optimizer factory {self.factory!r} must return a torch.optim.Optimizer. Received {type(optimizer).__name__}.")
        return optimizer


def get(identifier: Any) -> KerasOptimizer | _Ready | _Factory:
    """Something with ``build(params) -> torch.optim.Optimizer`` for any accepted identifier.

    >>> import functools, torch
    >>> get(functools.partial(torch.optim.SGD, lr=0.5)).build([torch.nn.Parameter(torch.zeros(1))]).defaults["lr"]
    0.5
    """
    if isinstance(identifier, KerasOptimizer):
        return identifier
    if isinstance(identifier, str):
        return KerasOptimizer(identifier)
    if isinstance(identifier, torch.optim.Optimizer):
        return _Ready(identifier)
    if callable(identifier):
        return _Factory(identifier)
    raise TypeError(
        f"Could not interpret optimizer {identifier!r}: expected a Keras optimizer name, a convlayers optimizer "
        f"spec, a torch.optim.Optimizer, or a factory params -> optimizer. Received type {type(identifier).__name__}."
    )
