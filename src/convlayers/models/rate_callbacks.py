"""Keras's learning-rate callbacks: ``ReduceLROnPlateau`` and ``LearningRateScheduler``.

Both work on a Keras optimizer (its ``learning_rate``) and on a plain ``torch.optim.Optimizer``
(every parameter group's ``lr``), and add the rate to the epoch's logs as ``learning_rate``,
as Keras 3 does, so ``History`` records it.

>>> import convlayers
>>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
>>> model.compile(convlayers.optimizers.SGD(0.1), "mse")
>>> history = model.fit([[1.0]], [[2.0]], epochs=3, verbose=0,
...                     callbacks=[LearningRateScheduler(lambda epoch, lr: lr / 2)])
>>> history.history["learning_rate"]
[0.05, 0.025, 0.0125]
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import torch

from .callbacks import Callback, Logs, _Monitor


def learning_rate(optimizer: Any) -> float:
    """The optimizer's current learning rate: Keras's ``learning_rate``, else torch's first group's ``lr``.

    >>> import torch
    >>> learning_rate(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3))
    0.3
    """
    if hasattr(optimizer, "learning_rate"):
        return float(optimizer.learning_rate)
    if isinstance(optimizer, torch.optim.Optimizer):
        return float(optimizer.param_groups[0]["lr"])
    raise ValueError('Optimizer must have a "learning_rate" attribute.')


def set_learning_rate(optimizer: Any, value: float) -> None:
    """Set the rate: Keras's ``learning_rate`` setter, else every torch parameter group's ``lr``.

    >>> import torch
    >>> optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    >>> set_learning_rate(optimizer, 0.1)
    >>> optimizer.param_groups[0]["lr"]
    0.1
    """
    if hasattr(optimizer, "learning_rate"):
        optimizer.learning_rate = value
    elif isinstance(optimizer, torch.optim.Optimizer):
        for group in optimizer.param_groups:
            group["lr"] = value
    else:
        raise ValueError('Optimizer must have a "learning_rate" attribute.')


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras ``ReduceLROnPlateau``).

    Args:
        monitor: the logged quantity to watch.
        factor: the multiplier (< 1): ``new_lr = max(lr * factor, min_lr)``.
        patience: epochs without improvement before reducing.
        verbose: 1 prints ``Epoch N: ReduceLROnPlateau reducing learning rate to X.``
        mode: ``"min"``, ``"max"`` or ``"auto"``, as for ``EarlyStopping``.
        min_delta: the least change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is never reduced below this.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    >>> model.compile(convlayers.optimizers.SGD(0.1), "mse")
    >>> watch = ReduceLROnPlateau("loss", factor=0.5, patience=1, mode="max")  # a falling loss never "improves"
    >>> history = model.fit([[1.0]], [[2.0]], epochs=4, verbose=0, callbacks=[watch])
    >>> history.history["learning_rate"]   # logged before each epoch's reduction, as Keras does
    [0.1, 0.1, 0.05, 0.025]
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        logs["learning_rate"] = learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch: int) -> bool:
        old = learning_rate(self.model.optimizer)
        if not old > np.float32(self.min_lr):
            return False
        new = max(old * self.factor, self.min_lr)
        set_learning_rate(self.model.optimizer, new)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
        return True


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)`` (or ``schedule(epoch)``).

    Args:
        schedule: ``(epoch, current_lr) -> new_lr`` (0-based epoch); a one-argument
            function ``epoch -> new_lr`` is called so when the two-argument call is a ``TypeError``,
            as in Keras. It must return a float.
        verbose: 1 prints ``Epoch N: LearningRateScheduler setting learning rate to X.``

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit([[1.0]], [[2.0]], epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda e: 0.1 * (e + 1))])
    >>> model.optimizer.learning_rate
    0.2
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        current = learning_rate(optimizer)
        try:
            rate = self.schedule(epoch, current)
        except TypeError:  # the one-argument form
            rate = self.schedule(epoch)
        if not isinstance(rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {rate}")
        set_learning_rate(optimizer, float(rate))
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = learning_rate(self.model.optimizer)
