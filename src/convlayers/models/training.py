"""Keras's training API for models: ``compile``, ``fit``, ``evaluate``, ``predict``.

A plain PyTorch loop on the model works too (the model is an ``nn.Module``); ``fit`` is that
loop with Keras's conventions:

- each step: forward in training mode, ``loss(y_true, y_pred)`` plus every layer's
  regularization terms (``layer.losses``), backward, optimizer step, then each layer's
  ``apply_constraints()``;
- the logged ``loss`` includes the regularization terms, and is the mean over the epoch's
  samples (batch losses weighted by batch size), as Keras logs it; metrics are means over
  all samples seen in the epoch;
- logs are ordered by name, validation entries (``val_*``) after the training ones;
- batches go to the device of the model's parameters, so ``model.to("cuda")`` trains there;
- a ``mixed_float16`` model (its policy or any layer's) scales the loss as Keras's
  ``LossScaleOptimizer`` does (:func:`loss_scaler`): float16 gradients of small losses
  would underflow to zero;
- ``fit``, ``evaluate`` and ``predict`` leave the model in the train/eval mode they found.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

from .. import arrays
from . import data, losses, optimizers
from . import metrics as metrics_module  # `compile` has an argument named `metrics`
from .callbacks import Callback, CallbackList, History, Logs
from .progress import ProgressBar, format_logs, new_bar, normalize_verbose


class Trainer:
    """Mixin giving an ``nn.Module`` with ``layers`` and a ``dtype_policy`` Keras's training methods.

    >>> import numpy as np, torch, convlayers
    >>> _ = torch.manual_seed(0)
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    >>> x = np.linspace(-1, 1, 32, dtype="float32")[:, None]
    >>> history = model.fit(x, 3 * x + 1, batch_size=8, epochs=200, verbose=0)
    >>> sorted(history.history), len(history.epoch)
    (['loss', 'mae'], 200)
    >>> [round(float(w), 1) for w in np.concatenate([w.ravel() for w in model.get_weights()])]
    [3.0, 1.0]
    """

    compiled = False
    stop_training = False
    optimizer: torch.optim.Optimizer | None = None  # made by compile, or by fit once built (a Keras one: by compile)
    loss: Any = None
    history: History | None = None
    _initial_epoch: int | None = None  # set by BackupAndRestore when it resumes a run
    #: The dynamic loss scale of a ``mixed_float16`` model (made by ``fit``), else ``None``.
    loss_scaler: torch.amp.GradScaler | None = None

    # -- set-up ----------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Iterable[Any] | None = None) -> None:
        """Choose the optimizer, loss and metrics for :meth:`fit` and :meth:`evaluate`.

        Args:
            optimizer: a Keras name (``"adam"``, ``"sgd"``, ``"rmsprop"``...; Keras's defaults, see
                :mod:`convlayers.models.optimizers`), a Keras optimizer such as ``optimizers.Adam(1e-4)``
                (``model.optimizer`` from now on; ``fit`` builds it over the parameters), a
                ``torch.optim.Optimizer`` over the model's parameters, or a factory
                ``params -> optimizer`` (e.g. ``torch.optim.AdamW``).
            loss: a Keras loss name (probabilities expected, as in Keras), a
                :class:`~convlayers.models.losses.Loss` (``SparseCategoricalCrossentropy(from_logits=True)``),
                a ``torch.nn`` loss module (called torch-style, ``(y_pred, y_true)``), or a
                callable ``(y_true, y_pred) -> loss``.
            metrics: a list of Keras metric names (``"accuracy"`` picks the right accuracy
                from the shapes), :class:`~convlayers.models.metrics.Metric` objects or callables.
        """
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise TypeError(f"{self._owner('compile')}: `metrics` must be a list or tuple. Received: metrics={metrics!r}.")
        self._optimizer_spec = optimizers.get(optimizer)
        # As given (a torch.nn loss module too): not registered as a submodule, which would hide it behind
        # the class attribute and put it among the model's children.
        object.__setattr__(self, "loss", loss)
        self._loss_fn = None if loss is None else losses.get(loss)
        self._metric_identifiers = list(metrics or [])
        self.compiled_metrics: list[metrics_module.Metric] = []
        self._loss_tracker = metrics_module.Mean("loss")
        if self.built:
            self.optimizer = self._optimizer_spec.build(self.parameters())
        else:  # a Keras optimizer is model.optimizer at once, as in Keras; fit builds it
            self.optimizer = self._optimizer_spec if isinstance(self._optimizer_spec, optimizers.Optimizer) else None
        self.loss_scaler = None  # a new optimizer starts from Keras's initial scale
        self.compiled = True

    @property
    def compile_arguments(self) -> dict[str, Any]:
        """What :meth:`compile` was given: ``optimizer`` (its spec), ``loss`` (a name, or a ``Loss``), ``metrics``.

        Model files that record the compile settings (Keras's ``compile_config``) read it.

        >>> import convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.compile_arguments
        {'optimizer': SGD(learning_rate=0.01, momentum=0.0, nesterov=False), 'loss': 'mse', 'metrics': ['mae']}
        """
        if not self.compiled:
            raise ValueError(f"{self._owner('compile_arguments')}: the model is not compiled.")
        # The name when a name was given; else the Loss made from it.
        loss = self.loss if isinstance(self.loss, str) else self._loss_fn
        return {"optimizer": self._optimizer_spec, "loss": loss, "metrics": list(self._metric_identifiers)}

    def _owner(self, method: str) -> str:
        return f"{type(self).__name__} {self.name!r}.{method}()"

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"{self._owner(method)}: the model must be compiled first; call model.compile(optimizer, loss).")
        if self._loss_fn is None:
            raise ValueError(f"{self._owner(method)}: no loss to compute; pass `loss` to compile().")

    def _device(self) -> torch.device:
        tensor = next(iter(self.parameters()), None)
        if tensor is None:
            tensor = next(iter(self.buffers()), None)
        return torch.device("cpu") if tensor is None else tensor.device

    def _ensure_built(self, x: torch.Tensor) -> None:
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]))

    # -- one batch --------------------------------------------------------------------------
    def _regularization(self) -> torch.Tensor | None:
        terms = [term for layer in self.layers for term in layer.losses]
        return sum(terms[1:], terms[0]) if terms else None

    def _loss_on(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        if y_pred.dtype in (torch.float16, torch.bfloat16):
            # Keras computes losses in float32 (its Loss's dtype is floatx): a float16 loss
            # would round away the small differences that training follows.
            y_pred = y_pred.float()
        loss = self._loss_fn(y_true, y_pred)
        regularization = self._regularization()
        return loss if regularization is None else loss + regularization.to(loss.dtype)

    def _update_metrics(self, loss: torch.Tensor, y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
        if len(self.compiled_metrics) != len(self._metric_identifiers):
            # Made from the first batch, as Keras does: "accuracy" depends on its shapes.
            self.compiled_metrics = [metrics_module.get(i, y_true, y_pred) for i in self._metric_identifiers]
        self._loss_tracker.update_state(loss.detach(), weight=len(y_pred))
        for metric in self.compiled_metrics:
            metric.update_state(y_true, y_pred.detach())

    def _reset_metrics(self) -> None:
        self._loss_tracker.reset_state()
        for metric in self.compiled_metrics:
            metric.reset_state()

    def _logs(self) -> Logs:
        values = {"loss": self._loss_tracker.result(), **{m.name: m.result() for m in self.compiled_metrics}}
        return dict(sorted(values.items()))

    def _uses_float16(self) -> bool:
        policies = [self.dtype_policy] + [layer.dtype_policy for layer in self.layers]
        return any(policy.name == "mixed_float16" for policy in policies)

    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        y_pred = self(x)
        loss = self._loss_on(y, y_pred)
        # A Keras optimizer's loss_scale_factor multiplies the loss; its step divides the gradients back.
        scaled = self.optimizer.scale_loss(loss) if isinstance(self.optimizer, optimizers.Optimizer) else loss
        if self.loss_scaler is None:
            scaled.backward()
            self.optimizer.step()
        else:
            # step() unscales the gradients and skips the update when any is inf or NaN;
            # update() then halves the scale, or doubles it after a run of finite steps.
            self.loss_scaler.scale(scaled).backward()
            self.loss_scaler.step(self.optimizer)
            self.loss_scaler.update()
        for layer in self.layers:
            layer.apply_constraints()
        self._update_metrics(loss, y, y_pred)

    # -- public loops -----------------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs`` passes over ``(x, y)``; returns the :class:`History`.

        Args:
            x, y: inputs and targets (NumPy arrays, tensors or lists), same number of samples.
            batch_size: samples per step (32 when ``None``).
            epochs: the index of the last epoch (training runs ``initial_epoch..epochs-1``).
            verbose: ``"auto"``/1 a progress bar per epoch, 2 a line per epoch, 0 silent.
            callbacks: :class:`~convlayers.models.callbacks.Callback` objects.
            validation_split: the fraction of the data, taken from the **end** before
                shuffling (as Keras), held out for validation.
            validation_data: ``(x_val, y_val)``; takes precedence over ``validation_split``.
            shuffle: reshuffle the training samples each epoch (torch's global RNG, so
                ``torch.manual_seed`` makes runs repeatable).
            initial_epoch: the epoch to start at (to resume a run).
        """
        owner = self._owner("fit")
        self._require_compiled("fit")
        verbose = normalize_verbose(verbose, owner)
        batch_size = data.check_batch_size(batch_size, owner)
        for argument, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{owner}: `{argument}` must be a non-negative int. Received: {argument}={value!r}.")
        x_t, y_t = data.xy(x, y, owner)
        validation = None
        if validation_data is not None:
            validation = data.validation_pair(validation_data, owner)
        elif validation_split:
            (x_t, y_t), validation = data.split_validation(x_t, y_t, validation_split, owner)
        self._ensure_built(x_t)
        if self.optimizer is None or not getattr(self.optimizer, "built", True):
            self.optimizer = self._optimizer_spec.build(self.parameters())
        if self.loss_scaler is None and self._uses_float16():
            self.loss_scaler = loss_scaler(self._device())

        history = History()
        extra = [history] + ([ProgressBar(verbose)] if verbose else [])
        steps = math.ceil(len(x_t) / batch_size)
        hooks = CallbackList(list(callbacks or []) + extra, self, {"epochs": epochs, "steps": steps, "verbose": verbose}, owner)
        self.history = history
        self.stop_training = False
        logs: Logs = {}
        hooks.on_train_begin({})
        # BackupAndRestore sets where a resumed run starts, as Keras's callback does (for this run only).
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        with _mode_kept(self):
            for epoch in range(initial_epoch, epochs):
                self._reset_metrics()
                hooks.on_epoch_begin(epoch, {})
                self.train()
                for step, index in enumerate(data.batches(len(x_t), batch_size, shuffle)):
                    hooks.on_train_batch_begin(step, {})
                    self._train_step(*self._to_device(x_t[index], y_t[index]))
                    hooks.on_train_batch_end(step, self._logs())
                logs = self._logs()
                if validation is not None:
                    val_logs = self._evaluate_tensors(*validation, batch_size, bar=False)
                    logs.update({f"val_{name}": value for name, value in val_logs.items()})
                hooks.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        if isinstance(self.optimizer, optimizers.Optimizer) and epochs > 0:
            self.optimizer.finalize_variable_values()  # with use_ema, the weights become their average (Keras)
        hooks.on_train_end(logs)
        return history

    def evaluate(
        self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto", return_dict: bool = False
    ) -> float | list[float] | Logs:
        """The loss (regularization included) and metrics over ``(x, y)``, in inference mode.

        Returns the loss alone when there are no metrics, else ``[loss, *metrics]`` in
        ``compile`` order; with ``return_dict``, ``{name: value}``. ``verbose`` 1 or 2 shows a bar.
        """
        owner = self._owner("evaluate")
        self._require_compiled("evaluate")
        bar = normalize_verbose(verbose, owner) > 0
        x_t, y_t = data.xy(x, y, owner)
        self._ensure_built(x_t)
        logs = self._evaluate_tensors(x_t, y_t, data.check_batch_size(batch_size, owner), bar=bar)
        if return_dict:
            return logs
        values = [logs["loss"]] + [logs[m.name] for m in self.compiled_metrics]
        return values[0] if len(values) == 1 else values

    def _evaluate_tensors(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, bar: bool) -> Logs:
        self._reset_metrics()
        with _mode_kept(self), torch.no_grad(), _Progress(math.ceil(len(x) / batch_size), bar) as progress:
            self.eval()
            for index in data.batches(len(x), batch_size, shuffle=False):
                x_b, y_b = self._to_device(x[index], y[index])
                y_pred = self(x_b)
                self._update_metrics(self._loss_on(y_b, y_pred), y_b, y_pred)
                progress.step(self._logs)
            logs = self._logs()
            progress.finish(logs)
        return logs

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto") -> np.ndarray:
        """The model's outputs for ``x``, batch by batch, in inference mode, as a NumPy array."""
        owner = self._owner("predict")
        bar = normalize_verbose(verbose, owner) > 0
        batch_size = data.check_batch_size(batch_size, owner)
        x_t = data.as_tensor(x, "x", owner)
        self._ensure_built(x_t)
        device = self._device()
        outputs = []
        with _mode_kept(self), torch.no_grad(), _Progress(math.ceil(len(x_t) / batch_size), bar) as progress:
            self.eval()
            for index in data.batches(len(x_t), batch_size, shuffle=False):
                outputs.append(self(x_t[index].to(device)).cpu())
                progress.step()
            progress.finish({})
        return arrays.to_numpy(torch.cat(outputs))

    def _to_device(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        device = self._device()
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def loss_scaler(device: torch.device) -> torch.amp.GradScaler:
    """A dynamic loss scale with Keras's ``LossScaleOptimizer`` defaults, as torch's ``GradScaler``.

    The loss is multiplied by the scale (initially 2**15) before ``backward``; the
    gradients are divided by it before the optimizer step, which is skipped when any
    gradient is inf or NaN, and the scale then halves; after 2000 steps without one it doubles.

    >>> scaler = loss_scaler(torch.device("cpu"))
    >>> scaler.get_scale(), scaler.get_growth_interval()
    (32768.0, 2000)
    """
    return torch.amp.GradScaler(device.type, init_scale=2.0**15, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000)


@contextmanager
def _mode_kept(module: torch.nn.Module) -> Iterator[None]:
    """Restores the module's train/eval mode on exit."""
    mode = module.training
    try:
        yield
    finally:
        module.train(mode)


class _Progress:
    """A bar over evaluation or prediction batches, or nothing."""

    def __init__(self, steps: int, shown: bool) -> None:
        self.bar = new_bar(steps) if shown else None

    def __enter__(self) -> "_Progress":
        return self

    def step(self, logs: Callable[[], Logs] | None = None) -> None:
        if self.bar is not None:
            if logs is not None:
                self.bar.set_postfix_str(format_logs(logs()), refresh=False)
            self.bar.update(1)

    def finish(self, logs: Logs) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=False)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()

