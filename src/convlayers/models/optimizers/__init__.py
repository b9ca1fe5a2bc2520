"""Keras 3's optimizers, learning-rate schedules and their serialization, over torch.

``compile(optimizer=...)`` takes a Keras name (``"adam"``, ``"Adam"``...), a Keras optimizer
object (``Adam(1e-4, clipnorm=1.0)``), a Keras config dict, a ready ``torch.optim.Optimizer``,
or a factory called with the model's parameters (``functools.partial(torch.optim.SGD, lr=0.1)``,
or a torch optimizer class). A Keras optimizer object is built over the model's parameters
by ``fit`` (or ``compile`` on a built model) and is then ``model.optimizer``: a
``torch.optim.Optimizer`` with Keras's API (``learning_rate``, ``iterations``, ``name``,
``get_config``, ``apply_gradients``; see :class:`Optimizer` for the common arguments:
schedules, ``weight_decay``, clipping, EMA, gradient accumulation, ``loss_scale_factor``).

=========  ===========================================================  ================================
class      Keras defaults                                                update vs Keras
=========  ===========================================================  ================================
SGD        learning_rate 0.01, momentum 0, nesterov False                Keras's, written here
Adam       1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad False  torch's: eps after bias correction
AdamW      as Adam, weight_decay 0.004                                   as Adam; decay Keras's
RMSprop    1e-3, rho 0.9, momentum 0, epsilon 1e-7, centered False     Keras's, written here
Adagrad    1e-3, initial_accumulator_value 0.1, epsilon 1e-7            torch's: eps outside the sqrt
Adadelta   1e-3, rho 0.95, epsilon 1e-7                                  torch's, identical
Adamax     1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7                 torch's: eps inside the max
Nadam      1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7                 torch's (momentum_decay=1), identical
Lion       1e-3, beta_1 0.9, beta_2 0.99                                 Keras's, written here
=========  ===========================================================  ================================

Keras's Adam family adds ``epsilon`` to ``sqrt(v)`` before bias correction (Kingma and Ba's
"epsilon hat"); torch adds it after, so torch's effective epsilon is Keras's divided by
``sqrt(1 - beta_2**t)``. With ``epsilon=1e-7`` the steps agree to about 1e-6 relative once
``sqrt(v)`` is well above epsilon. The learning rate (and a schedule), the weight decay, the
clipping, the EMA and the accumulation are Keras's exactly. ``Ftrl``, ``Adafactor`` and
``Lamb`` are refused with ``NotImplementedError``.

>>> import torch
>>> optimizer = get("adam").build([torch.nn.Parameter(torch.zeros(2))])
>>> isinstance(optimizer, torch.optim.Optimizer), optimizer.learning_rate, optimizer.iterations
(True, 0.001, 0)
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch

from . import schedules
from .base import Optimizer
from .classes import SGD, Adadelta, Adafactor, Adagrad, Adam, Adamax, AdamW, Ftrl, Lamb, Lion, Nadam, RMSprop

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Ftrl",
    "Adafactor", "Lamb", "schedules", "get", "serialize", "deserialize",
]

#: Keras's optimizer classes by lower-case name (what ``get`` and ``deserialize`` accept).
CLASSES: dict[str, type] = {
    cls.__name__.lower(): cls
    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl, Adafactor, Lamb)
}
#: The Keras optimizers implemented here (the others in ``CLASSES`` are refused).
IMPLEMENTED: tuple[type[Optimizer], ...] = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Keras's serialized optimizer: ``{"module": "keras.optimizers", "class_name", "config", "registered_name"}``.

    >>> config = serialize(SGD(0.1, momentum=0.9))
    >>> config["class_name"], config["config"]["momentum"], config["config"]["learning_rate"]
    ('SGD', 0.9, 0.1)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected a convlayers Keras optimizer. Received: {optimizer!r}.")
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__, "config": optimizer.get_config(),
            "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: dict[str, type] | None = None) -> Optimizer:
    """The optimizer a Keras config describes (``class_name`` case-insensitive, as Keras); a new object.

    >>> deserialize({"class_name": "adam", "config": {"learning_rate": 0.01}}).learning_rate
    0.01
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and 'config'. Received: {config!r}.")
    name = config["class_name"]
    custom = dict(custom_objects or {})
    cls = custom.get(name) or CLASSES.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}. Allowed names: {', '.join(cls.__name__.lower() for cls in IMPLEMENTED)}; or a torch.optim.Optimizer, "
                         "or a factory params -> optimizer.")
    return cls.from_config(dict(config.get("config") or {}), custom) if hasattr(cls, "from_config") else cls()


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


def get(identifier: Any) -> Optimizer | _Ready | _Factory:
    """Something with ``build(params) -> torch.optim.Optimizer`` for any accepted identifier.

    A Keras optimizer object is returned as is (its ``build`` binds and returns it); a name
    or config dict makes a new one with Keras's defaults.

    >>> import functools, torch
    >>> type(get("AdamW")).__name__, get({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum
    ('AdamW', 0.5)
    >>> get(functools.partial(torch.optim.SGD, lr=0.5)).build([torch.nn.Parameter(torch.zeros(1))]).defaults["lr"]
    0.5
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, torch.optim.Optimizer):
        return _Ready(identifier)
    if callable(identifier) and not isinstance(identifier, type) or isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer):
        return _Factory(identifier)
    raise TypeError(
        f"Could not interpret optimizer {identifier!r}: expected a Keras optimizer name, a convlayers optimizer, a "
        f"Keras config dict, a torch.optim.Optimizer, or a factory params -> optimizer. Received type {type(identifier).__name__}."
    )
