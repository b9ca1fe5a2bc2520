"""Keras's training callbacks: the ``Callback`` protocol, ``History``, ``EarlyStopping``,
``ModelCheckpoint`` and ``LambdaCallback`` here; ``ReduceLROnPlateau``, ``LearningRateScheduler``
(:mod:`.rate_callbacks`), ``CSVLogger``, ``TerminateOnNaN`` and ``BackupAndRestore``
(:mod:`.run_callbacks`) exported here too.

``fit`` calls, in order: ``on_train_begin``; per epoch ``on_epoch_begin``, per batch
``on_train_batch_begin``/``on_train_batch_end`` (which call ``on_batch_begin``/
``on_batch_end``, as in Keras), then ``on_epoch_end`` with the epoch's logs (training
metrics, then ``val_`` ones); finally ``on_train_end``. A callback reaches the model as
``self.model``; setting ``self.model.stop_training = True`` ends training after the epoch.

>>> import convlayers
>>> seen = []
>>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
>>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
>>> model.compile("sgd", "mse")
>>> _ = model.fit([[1.0]], [[2.0]], epochs=3, verbose=0, callbacks=[callback])
>>> seen
[0, 1, 2]
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

Logs = dict[str, float]


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params`` are set by ``fit``."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called once after the last epoch, with the last epoch's logs."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the start of each epoch (0-based)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the end of each epoch with its logs (training and validation metrics)."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before each training batch (an alias of ``on_train_batch_begin``)."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after each training batch with the epoch's running metrics."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Called when ``evaluate`` (or ``fit``'s validation) starts."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Called when ``evaluate`` (or ``fit``'s validation) ends, with its logs."""

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after each evaluation batch with the running metrics."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Called when ``predict`` ends."""

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each prediction batch; ``logs["outputs"]`` holds the batch's outputs."""


class CallbackList:
    """Calls each hook on every callback, in order; ``owner`` names the caller in errors."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any], owner: str) -> None:
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"{owner}: every entry of `callbacks` must be a convlayers Callback. "
                    f"Received {callback!r} of type {type(callback).__name__}."
                )
            callback.set_model(model)
            callback.set_params(params)
        self.callbacks = callbacks

    def __getattr__(self, hook: str) -> Callable[..., None]:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for callback in self.callbacks:
                getattr(callback, hook)(*args)

        return call


class History(Callback):
    """Records each epoch's logs: ``history[name]`` is a list with one value per epoch.

    ``fit`` returns it (and keeps it as ``model.history``); ``epoch`` lists the epoch
    indices, ``params`` the run's ``epochs``, ``steps`` and ``verbose``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)


class _Monitor(Callback):
    """Shared by the callbacks that watch one logged quantity: direction and improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: `mode` must be 'auto', 'min' or 'max'. Received: mode={mode!r}.")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))

    def _direction(self) -> str:
        """``"min"`` or ``"max"``; for ``mode="auto"``, from the monitored metric, as Keras decides.

        Asked at the first epoch end, once the model's metrics exist (they are made from the
        first batch's shapes).
        """
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return "min"
        for metric in getattr(self.model, "compiled_metrics", []):
            if metric.name == name:
                return "max" if metric.direction == "up" else "min"
        raise ValueError(
            f"{type(self).__name__} received monitor={self.monitor!r}, but cannot tell whether that metric should be "
            f"maximized or minimized. Pass mode='max' or mode='min'."
        )

    def _improves(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self._direction() == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def _current(self, logs: Logs | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {', '.join(logs or {})}.",
                stacklevel=3,
            )
        return value


class EarlyStopping(_Monitor):
    """Stops training when the monitored quantity stops improving (Keras ``EarlyStopping``).

    Args:
        monitor: the logged quantity to watch (``"val_loss"`` default).
        min_delta: a change smaller than this is not an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and restores.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (from the metric: losses and errors
            decrease, accuracies increase).
        baseline: training stops unless the quantity beats this within ``patience`` epochs.
        restore_best_weights: at the end of training (stopped early or not), put back the
            weights of the best epoch.
        start_from_epoch: epochs to wait before watching.

    After training, ``stopped_epoch`` is the epoch it stopped at (0 if it did not) and
    ``best_epoch`` the best one.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The count restarts only once the baseline is beaten too.
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Saves the model (or its weights) after each epoch (Keras ``ModelCheckpoint``).

    Args:
        filepath: where to save; may hold ``{epoch}`` (1-based) and any log key with a
            format, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.safetensors"``. Its extension
            picks the format, as for ``model.save``: ``.safetensors``, or Keras 3's
            ``.keras``/``.h5`` (``.weights.h5`` with ``save_weights_only``); any other is a
            ``ValueError`` here, before training starts.
        monitor: the logged quantity ``save_best_only`` compares.
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``"min"``, ``"max"`` or ``"auto"``, as for :class:`EarlyStopping`.
        initial_value_threshold: with ``save_best_only``, the value to beat first.
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0)
        from .. import io  # here: convlayers.io imports this package

        (io.check_weights_suffix if save_weights_only else io.check_model_suffix)(filepath)
        self.filepath = str(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.best = initial_value_threshold

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._improves(current, self.best):
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LambdaCallback(Callback):
    """A callback from plain functions (Keras ``LambdaCallback``).

    ``on_epoch_begin``/``on_epoch_end`` take ``(epoch, logs)``, ``on_batch_begin``/
    ``on_batch_end`` take ``(batch, logs)``, ``on_train_begin``/``on_train_end`` take ``(logs)``.
    """

    def __init__(self, **hooks: Callable[..., None] | None) -> None:
        super().__init__()
        allowed = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin", "on_train_end")
        unknown = sorted(set(hooks) - set(allowed))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hooks {unknown}. Allowed: {', '.join(allowed)}.")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


# Defined beside, on the base classes above; exported here as Keras's ``keras.callbacks``.
from .rate_callbacks import LearningRateScheduler, ReduceLROnPlateau  # noqa: E402
from .run_callbacks import BackupAndRestore, CSVLogger, TerminateOnNaN  # noqa: E402
