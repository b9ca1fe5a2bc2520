"""Keras's training API for models: ``compile``, ``fit``, ``evaluate``, ``predict``.

A plain PyTorch loop on the model works too (the model is an ``nn.Module``); ``fit`` is that
loop with Keras's conventions:

- each step: forward in training mode, the compiled loss (per output, weighted by
  ``loss_weights``, each ``loss(y_true, y_pred, sample_weight)``) plus every layer's
  regularization terms (``layer.losses``), backward, optimizer step, then each layer's
  ``apply_constraints()``;
- ``sample_weight``/``class_weight`` weigh the loss as Keras does (the weighted sum over the
  number of loss values, :func:`~convlayers.models.losses.reduce_weighted_values`) and the
  ``weighted_metrics`` only;
- the logged ``loss`` includes the regularization terms, and is the mean over the epoch's
  samples (batch losses weighted by batch size), as Keras logs it; metrics are means over
  all samples seen in the epoch;
- data comes from :mod:`~convlayers.models.sources` (arrays, Datasets, DataLoaders,
  generators) with Keras's ``steps_per_epoch``/``steps`` rules;
- logs are ordered by name, validation entries (``val_*``) after the training ones;
- batches go to the device of the model's parameters, so ``model.to("cuda")`` trains there;
- a ``mixed_float16`` model (its policy or any layer's) scales the loss as Keras's
  ``LossScaleOptimizer`` does (:func:`loss_scaler`): float16 gradients of small losses
  would underflow to zero;
- ``compile(jit_compile=True)`` runs the steps through ``torch.compile``
  (:mod:`~convlayers.models.compiled_steps`);
- with a :class:`~convlayers.distribution.DataParallel` distribution set and several processes
  (torchrun), ``fit`` trains data-parallel (:mod:`convlayers.distribution`);
- ``fit``, ``evaluate`` and ``predict`` leave the model in the train/eval mode they found.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch

from .. import arrays, distribution
from . import compiled, compiled_steps, data, losses, nest, optimizers, sample_weights, sources
from . import metrics as metrics_module  # `compile` has an argument named `metrics`
from .callbacks import Callback, CallbackList, History, Logs
from .progress import ProgressBar, format_logs, new_bar, normalize_verbose


class Trainer:
    """Mixin giving an ``nn.Module`` with ``layers``, ``name``, ``built``/``build`` and a ``dtype_policy`` Keras's training methods.

    The model's ``forward`` takes a tensor (or a list/tuple/dict of tensors, for several
    inputs) and returns a tensor (or a list/tuple/dict, for several outputs); a model with
    ``output_names`` names its outputs for ``loss``/``metrics`` dicts and the logs.

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
    stop_evaluating = False
    stop_predicting = False
    #: Whether the steps run through ``torch.compile`` (``compile(jit_compile=True)``).
    jit_compile = False
    optimizer: torch.optim.Optimizer | None = None  # made by compile, or by fit once built (a Keras one: by compile)
    loss: Any = None
    history: History | None = None
    _initial_epoch: int | None = None  # set by BackupAndRestore when it resumes a run
    #: The dynamic loss scale of a ``mixed_float16`` model (made by ``fit``), else ``None``.
    loss_scaler: torch.amp.GradScaler | None = None
    #: How errors name the model's kind (``Sequential 'name'.fit()``); the class name when ``None``.
    model_kind: str | None = None

    # -- set-up ----------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        jit_compile: Any = "auto",
    ) -> None:
        """Choose the optimizer, loss and metrics for :meth:`fit` and :meth:`evaluate` (Keras's argument order).

        Args:
            optimizer: a Keras name (``"adam"``, ``"sgd"``, ``"rmsprop"``...; Keras's defaults, see
                :mod:`convlayers.models.optimizers`), a Keras optimizer such as ``optimizers.Adam(1e-4)``
                (``model.optimizer`` from now on; ``fit`` builds it over the parameters), a
                ``torch.optim.Optimizer`` over the model's parameters, or a factory
                ``params -> optimizer`` (e.g. ``torch.optim.AdamW``).
            loss: a Keras loss name (probabilities expected, as in Keras), a
                :class:`~convlayers.models.losses.Loss` (``SparseCategoricalCrossentropy(from_logits=True)``),
                a ``torch.nn`` loss module (called torch-style, ``(y_pred, y_true)``), or a
                callable ``(y_true, y_pred) -> loss``; for several outputs, one of those for
                all, or a list/dict of them by output (:mod:`~convlayers.models.compiled`).
            loss_weights: a float, or a list/dict like ``loss``: the total loss is the weighted sum.
            metrics: a list of Keras metric names (``"accuracy"`` picks the right accuracy
                from the shapes), :class:`~convlayers.models.metrics.Metric` objects or callables;
                for several outputs, a list or dict of those by output. They ignore sample weights.
            weighted_metrics: like ``metrics``, weighted by ``sample_weight``/``class_weight``.
            jit_compile: ``True`` runs the training, test and prediction steps through
                ``torch.compile`` (:mod:`~convlayers.models.compiled_steps`: same numbers, the
                first compiled steps slow); ``False`` or ``"auto"`` (Keras's default, eager on
                torch as in Keras 3) runs them eagerly. ``model.jit_compile`` from now on.
        """
        owner = self._owner("compile")
        jit = compiled_steps.resolve(jit_compile, owner)
        metric_setup = compiled.CompiledMetrics(metrics, weighted_metrics, owner)
        loss_setup = None if loss is None else compiled.CompiledLoss(loss, loss_weights, owner)
        for identifier in compiled.spec_leaves(loss):
            if identifier is not None:
                losses.get(identifier)  # an unknown name fails here, not at the first batch
        self._optimizer_spec = optimizers.get(optimizer)
        # As given (a torch.nn loss module too): not registered as a submodule, which would hide it behind
        # the class attribute and put it among the model's children.
        object.__setattr__(self, "loss", loss)
        self._loss_fn = None if loss is None or isinstance(loss, (list, tuple, dict)) else losses.get(loss)
        self._compile_spec = {"loss_weights": loss_weights, "metrics": metrics, "weighted_metrics": weighted_metrics}
        self._compiled_loss = loss_setup
        self._compiled_metrics = metric_setup
        self._outputs: compiled.Outputs | None = None  # read from the first batch
        self._loss_tracker = metrics_module.Mean("loss")
        if self.built:
            self.optimizer = self._optimizer_spec.build(self.parameters())
        else:  # a Keras optimizer is model.optimizer at once, as in Keras; fit builds it
            self.optimizer = self._optimizer_spec if isinstance(self._optimizer_spec, optimizers.Optimizer) else None
        self.loss_scaler = None  # a new optimizer starts from Keras's initial scale
        self.jit_compile = jit
        compiled_steps.forget(self)  # graphs of the old loss would guard on it, and recompile
        self.compiled = True

    @property
    def compile_arguments(self) -> dict[str, Any]:
        """What :meth:`compile` was given: ``optimizer`` (its spec), ``loss`` (a name, a ``Loss``, or a list/dict of them), the rest as given.

        Model files that record the compile settings (Keras's ``compile_config``) read it.

        >>> import convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.compile_arguments
        {'optimizer': SGD(learning_rate=0.01, momentum=0.0, nesterov=False), 'loss': 'mse', 'metrics': ['mae'], 'loss_weights': None, 'weighted_metrics': None}
        """
        if not self.compiled:
            raise ValueError(f"{self._owner('compile_arguments')}: the model is not compiled.")
        # The name when a name was given; else the Loss made from it.
        loss = self.loss if isinstance(self.loss, (str, list, tuple, dict)) else self._loss_fn
        spec = self._compile_spec
        metrics = spec["metrics"]
        return {
            "optimizer": self._optimizer_spec,
            "loss": loss,
            "metrics": list(metrics or []) if not isinstance(metrics, dict) else dict(metrics),
            "loss_weights": spec["loss_weights"],
            "weighted_metrics": spec["weighted_metrics"],
        }

    @property
    def compiled_metrics(self) -> list[metrics_module.Metric]:
        """The metric objects of ``metrics`` and ``weighted_metrics`` (made at the first batch)."""
        return self._compiled_metrics.all if self.compiled else []

    def _owner(self, method: str) -> str:
        return f"{self.model_kind or type(self).__name__} {self.name!r}.{method}()"

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"{self._owner(method)}: the model must be compiled first; call model.compile(optimizer, loss).")
        if self._compiled_loss is None:
            raise ValueError(f"{self._owner(method)}: no loss to compute; pass `loss` to compile().")

    def _device(self) -> torch.device:
        tensor = next(iter(self.parameters()), None)
        if tensor is None:
            tensor = next(iter(self.buffers()), None)
        return torch.device("cpu") if tensor is None else tensor.device

    def _ensure_built(self, x: Any) -> None:
        # A model of several inputs builds itself; a lazy single-input one from the first batch.
        if not self.built and isinstance(x, torch.Tensor):
            self.build((None,) + tuple(x.shape[1:]))

    def _prepare_training(self, x: Any) -> None:
        """Build the model, its optimizer and (mixed_float16) its loss scale before the first step."""
        self._ensure_built(x)
        if self.optimizer is None or not getattr(self.optimizer, "built", True):
            self.optimizer = self._optimizer_spec.build(self.parameters())
        if self.loss_scaler is None and self._uses_float16():
            self.loss_scaler = loss_scaler(self._device())

    # -- one batch --------------------------------------------------------------------------
    def _regularization(self) -> torch.Tensor | None:
        terms = [term for layer in self.layers for term in layer.losses]
        return sum(terms[1:], terms[0]) if terms else None

    def _loss_on(self, x: Any, y: Any, sample_weight: Any, owner: str, forward: Any = None) -> tuple[torch.Tensor, _Step]:
        """The total loss of one batch (regularization included), and the batch as the metrics need it.

        ``forward`` runs the model (the model itself when ``None``; a ``DistributedDataParallel``
        wrapper of it in a data-parallel ``fit``).
        """
        y_pred = (forward or self)(x)
        if self._outputs is None:
            # Keras resolves losses and metrics on the first batch.
            outputs = compiled.Outputs(y_pred, getattr(self, "output_names", None))
            self._compiled_loss.build(outputs, owner)
            self._outputs = outputs  # only once the loss is resolved: a refused `loss` is refused again
        outputs = self._outputs
        flat_pred = outputs.flatten(y_pred)
        needed = self._compiled_loss.needed
        flat_true = outputs.match(y, "y", needed, owner)
        if sample_weight is None or not nest.is_nested(sample_weight):
            flat_weight = [sample_weight] * outputs.count  # one array serves every output
        else:
            flat_weight = outputs.match(sample_weight, "sample_weight", needed, owner)
        loss, values = self._compiled_loss.compute(flat_true, flat_pred, flat_weight, owner)
        if loss is None:
            loss = torch.zeros((), device=flat_pred[0].device)
        regularization = self._regularization()
        loss = loss if regularization is None else loss + regularization.to(loss.dtype)
        return loss, _Step(len(nest.flatten(x)[0]), flat_true, flat_pred, flat_weight, [v.detach() for v in values])

    def _update_metrics(self, loss: torch.Tensor, step: _Step, owner: str) -> None:
        self._loss_tracker.update_state(loss.detach(), weight=step.batch_size)
        self._compiled_loss.track(step.loss_values, step.batch_size)
        if not self._compiled_metrics.built:
            # Made from the first batch, as Keras does: "accuracy" depends on its shapes.
            self._compiled_metrics.build(self._outputs, step.y_true, step.y_pred, owner)
        self._compiled_metrics.update(step.y_true, [p.detach() for p in step.y_pred], step.sample_weight)

    def _reset_metrics(self) -> None:
        self._loss_tracker.reset_state()
        if self._compiled_loss is not None:
            self._compiled_loss.reset()
        self._compiled_metrics.reset()

    def _logs(self) -> Logs:
        values = {"loss": self._loss_tracker.result()}
        values.update({tracker.name: tracker.result() for tracker in self._compiled_loss.trackers})
        values.update(self._compiled_metrics.results())
        return dict(sorted(values.items()))

    def _ordered(self, logs: Logs) -> float | list[float]:
        """Keras's list order: loss, the metrics by their own names, each output's loss, then the rest by name."""
        names = ["loss"] + [m.name for m in self._compiled_metrics.all] + [t.name for t in self._compiled_loss.trackers]
        values = [logs[name] for name in names if name in logs] + [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    def _uses_float16(self) -> bool:
        policies = [self.dtype_policy] + [layer.dtype_policy for layer in self.layers]
        return any(policy.name == "mixed_float16" for policy in policies)

    def _step_loss(self, kind: str, x: Any, y: Any, sample_weight: Any, owner: str, forward: Any = None) -> tuple[torch.Tensor, _Step]:
        """:meth:`_loss_on`, compiled for a ``"train"`` or ``"test"`` step with ``jit_compile`` once the first batch resolved the losses."""
        if not self.jit_compile or self._outputs is None:
            return self._loss_on(x, y, sample_weight, owner, forward)
        steps = compiled_steps.for_model(self, self._device())
        steps.step_begin()
        x, y, sample_weight = compiled_steps.unviewed((x, y, sample_weight))
        return getattr(steps, kind)(self, x, y, sample_weight, owner, forward)

    def _predict_step(self, x: Any) -> Any:
        if not self.jit_compile:
            return self(x)
        steps = compiled_steps.for_model(self, self._device())
        steps.step_begin()
        return steps.predict(self, compiled_steps.unviewed(x))

    def _train_step(
        self, x: Any, y: Any, sample_weight: Any = None, owner: str | None = None, parallel: distribution.ParallelFit | None = None
    ) -> None:
        owner = owner or self._owner("fit")
        self.optimizer.zero_grad(set_to_none=True)
        loss, step = self._step_loss("train", x, y, sample_weight, owner, parallel.forward() if parallel else None)
        objective = parallel.scaled(loss) if parallel else loss  # this process's share of the global batch
        # A Keras optimizer's loss_scale_factor multiplies the loss; its step divides the gradients back.
        scaled = self.optimizer.scale_loss(objective) if isinstance(self.optimizer, optimizers.Optimizer) else objective
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
        if parallel:
            loss, step = parallel.gathered(loss, step)  # the logs are the global batch's
        self._update_metrics(loss, step, owner)

    def _test_step(self, x: Any, y: Any, sample_weight: Any, owner: str) -> None:
        loss, step = self._step_loss("test", x, y, sample_weight, owner)
        self._update_metrics(loss, step, owner)

    def _to_device(self, batch: tuple[Any, ...], owner: str) -> tuple[Any, ...]:
        """A batch's arrays as tensors on the model's device (``None`` entries kept)."""
        device = self._device()
        names = ("x", "y", "sample_weight")
        return tuple(
            nest.map_structure(lambda t: t.to(device, non_blocking=True), data.as_tensors(part, name, owner))
            if part is not None
            else None
            for part, name in zip(batch, names)
        )

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
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | list[int] = 1,
    ) -> History:
        """Train for ``epochs`` passes over the data; returns the :class:`History`.

        Args:
            x, y: inputs and targets: arrays (NumPy, tensors, lists; lists/tuples/dicts of them
                for several inputs or outputs), or ``x`` alone as a ``torch.utils.data.Dataset``,
                ``DataLoader``, a ``PyDataset`` or a generator of ``(x, y[, sample_weight])`` batches
                (:mod:`~convlayers.models.sources`).
            batch_size: samples per step for arrays and Datasets (32 when ``None``; the global
                batch, split among the processes, in a data-parallel fit); ``None`` for a
                DataLoader, a PyDataset or a generator, which batch themselves.
            epochs: the index of the last epoch (training runs ``initial_epoch..epochs-1``).
            verbose: ``"auto"``/1 a progress bar per epoch, 2 a line per epoch, 0 silent.
            callbacks: :class:`~convlayers.models.callbacks.Callback` objects; validation
                calls their ``on_test_*`` hooks.
            validation_split: the fraction of the arrays (and sample weights), taken from the
                **end** before shuffling (as Keras), held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, val_sample_weight)``, or a
                Dataset/DataLoader/generator; takes precedence over ``validation_split``.
            shuffle: reshuffle arrays and Datasets each pass (torch's global RNG, so
                ``torch.manual_seed`` makes runs repeatable).
            class_weight: ``{class: weight}``: each sample's loss is weighted by its class
                (sparse or one-hot targets; single-output models).
            sample_weight: per-sample weights ``(N,)``, or per timestep/pixel weights with
                the leading dims of the per-sample losses; per output for several outputs.
            initial_epoch: the epoch to start at (to resume a run).
            steps_per_epoch: batches per epoch (required to bound an infinite generator);
                later epochs continue where the last stopped.
            validation_steps: batches per validation (all of them when ``None``).
            validation_batch_size: batch size of the validation arrays (``batch_size`` when ``None``).
            validation_freq: validate every this many epochs, or at the (1-based) epochs listed.
        """
        owner = self._owner("fit")
        self._require_compiled("fit")
        verbose = normalize_verbose(verbose, owner)
        batch_size = data.check_batch_size(batch_size, owner)
        validation_batch_size = data.check_batch_size(validation_batch_size, owner, "validation_batch_size")
        steps_per_epoch = data.check_steps(steps_per_epoch, owner, "steps_per_epoch")
        validation_steps = data.check_steps(validation_steps, owner, "validation_steps")
        for argument, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{owner}: `{argument}` must be a non-negative int. Received: {argument}={value!r}.")
        _check_validation_freq(validation_freq, owner)
        if validation_split and validation_data is None:
            if sources.kind_of(x) is not None:
                raise ValueError(
                    f"{owner}: `validation_split` is only supported for arrays and tensors; `x` is a "
                    f"{sources.kind_of(x)}. Pass `validation_data` instead."
                )
            arrays_in = tuple(data.as_tensors(v, n, owner) for v, n in ((x, "x"), (y, "y"), (sample_weight, "sample_weight")))
            (x, y, sample_weight), validation_data = data.split_validation(arrays_in, validation_split, owner)
        elif validation_split:
            data.split_validation((torch.zeros(2),), validation_split, owner)  # the fraction is still checked
        train = sources.EpochIterator(
            sources.source_for(
                x, y, sample_weight, batch_size=batch_size, steps=steps_per_epoch, shuffle=shuffle,
                class_weight=class_weight, owner=owner,
            ),
            steps_per_epoch,
        )
        validation = None
        if validation_data is not None:
            val_x, val_y, val_weight = _unpack_validation(validation_data, owner)
            validation = sources.EpochIterator(
                sources.source_for(
                    val_x, val_y, val_weight, batch_size=validation_batch_size or _batch_for(val_x, batch_size),
                    steps=validation_steps, shuffle=False, owner=owner,
                ),
                validation_steps,
            )

        # Data parallel (convlayers.distribution): process 0 alone shows progress and saves.
        parallel = distribution.parallel_fit(self)
        given = list(callbacks or [])
        if parallel:
            verbose, callbacks = parallel.verbose(verbose), parallel.callbacks(given)
        history = History()
        extra = [history] + ([ProgressBar(verbose)] if verbose else [])
        params = {"epochs": epochs, "steps": train.num_batches, "verbose": verbose}
        hooks = CallbackList(list(callbacks or []) + extra, self, params, owner)
        self.history = history
        self.stop_training = False
        training_logs: Logs = {}
        hooks.on_train_begin({})
        # BackupAndRestore sets where a resumed run starts, as Keras's callback does (for this run only).
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        if parallel:
            initial_epoch = parallel.start(initial_epoch, given)
        with _mode_kept(self):
            for epoch in range(initial_epoch, epochs):
                self._reset_metrics()
                hooks.on_epoch_begin(epoch, {})
                self.train()
                logs: Logs = {}
                for step, batch in train.epoch():
                    hooks.on_train_batch_begin(step, {})
                    x_b, y_b, weight_b = self._to_device(batch, owner)
                    self._prepare_training(x_b)
                    if parallel:
                        x_b, y_b, weight_b = parallel.slice((x_b, y_b, weight_b))
                    self._train_step(x_b, y_b, weight_b, owner, parallel)
                    logs = self._logs()
                    hooks.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = dict(logs)
                if validation is not None and _should_validate(epoch, validation_freq):
                    val_logs = self._evaluate_steps(validation, hooks, bar=False, owner=owner)
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                hooks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if self.stop_training:
                    break
        if isinstance(self.optimizer, optimizers.Optimizer) and epochs > 0:
            self.optimizer.finalize_variable_values()  # with use_ema, the weights become their average (Keras)
        if parallel:
            parallel.finish()
        hooks.on_train_end(training_logs)
        return history

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list[Callback] | None = None,
        return_dict: bool = False,
    ) -> float | list[float] | Logs:
        """The loss (regularization included) and metrics over the data, in inference mode.

        Data as for :meth:`fit` (``steps`` bounds a generator). Returns the loss alone when
        there is nothing else, else a list in Keras's order (loss, the metrics, each output's
        loss, anything else by name); with ``return_dict``, ``{name: value}``. ``verbose``
        1 or 2 shows a bar. ``callbacks`` get the ``on_test_*`` hooks.

        >>> import numpy as np, convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.evaluate(np.ones((4, 1)), np.zeros((4, 1)), sample_weight=np.array([1.0, 1.0, 0.0, 0.0]), verbose=0)
        [0.5, 1.0]
        """
        owner = self._owner("evaluate")
        self._require_compiled("evaluate")
        verbose = normalize_verbose(verbose, owner)
        batch_size = data.check_batch_size(batch_size, owner)
        steps = data.check_steps(steps, owner, "steps")
        iterator = sources.EpochIterator(
            sources.source_for(x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=False, owner=owner), steps
        )
        hooks = CallbackList(list(callbacks or []), self, {"epochs": 1, "steps": iterator.num_batches, "verbose": verbose}, owner)
        logs = self._evaluate_steps(iterator, hooks, bar=verbose > 0, owner=owner)
        return logs if return_dict else self._ordered(logs)

    def _evaluate_steps(self, iterator: sources.EpochIterator, hooks: CallbackList, bar: bool, owner: str) -> Logs:
        iterator.reset()  # each evaluation reads its data from the start
        self._reset_metrics()
        self.stop_evaluating = False
        hooks.on_test_begin({})
        logs: Logs = {}
        with _mode_kept(self), torch.no_grad(), _Progress(iterator.num_batches, bar) as progress:
            self.eval()
            for step, batch in iterator.epoch():
                hooks.on_test_batch_begin(step, {})
                x_b, y_b, weight_b = self._to_device(batch, owner)
                self._ensure_built(x_b)
                self._test_step(x_b, y_b, weight_b, owner)
                logs = self._logs()
                hooks.on_test_batch_end(step, logs)
                progress.step(logs)
                if self.stop_evaluating:
                    break
            progress.finish(logs)
        hooks.on_test_end(logs)
        return logs

    def predict(
        self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None, callbacks: list[Callback] | None = None
    ) -> Any:
        """The model's outputs for ``x``, batch by batch, in inference mode, as NumPy arrays.

        ``x`` as for :meth:`fit` (targets in the batches are ignored). Returns one array, or a
        list/tuple/dict of arrays for a model with several outputs. ``callbacks`` get the
        ``on_predict_*`` hooks (``on_predict_batch_end``'s logs hold the batch's ``outputs``).

        >>> import numpy as np, convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="ones")])
        >>> model.predict(((np.full((2, 1), i, "float32"),) for i in range(3)), steps=3, verbose=0).ravel()
        array([0., 0., 1., 1., 2., 2.], dtype=float32)
        """
        owner = self._owner("predict")
        verbose = normalize_verbose(verbose, owner)
        batch_size = data.check_batch_size(batch_size, owner)
        steps = data.check_steps(steps, owner, "steps")
        iterator = sources.EpochIterator(
            sources.source_for(x, batch_size=batch_size, steps=steps, shuffle=False, owner=owner), steps
        )
        hooks = CallbackList(list(callbacks or []), self, {"epochs": 1, "steps": iterator.num_batches, "verbose": verbose}, owner)
        self.stop_predicting = False
        hooks.on_predict_begin({})
        structure, pieces = None, []
        with _mode_kept(self), torch.no_grad(), _Progress(iterator.num_batches, verbose > 0) as progress:
            self.eval()
            for step, batch in iterator.epoch():
                hooks.on_predict_batch_begin(step, {})
                (x_b,) = self._to_device(batch[:1], owner)
                self._ensure_built(x_b)
                structure = self._predict_step(x_b)
                pieces.append([t.detach().cpu() for t in nest.flatten(structure)])
                hooks.on_predict_batch_end(step, {"outputs": nest.pack_as(structure, [arrays.to_numpy(t) for t in pieces[-1]])})
                progress.step()
                if self.stop_predicting:
                    break
            progress.finish({})
        hooks.on_predict_end({})
        if not pieces:
            raise ValueError(f"{owner}: there was no data to predict on (the data yielded no batch).")
        return nest.pack_as(structure, [arrays.to_numpy(torch.cat(parts)) for parts in zip(*pieces)])

    # -- single batches ---------------------------------------------------------------------
    def train_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict[int, float] | None = None, return_dict: bool = False
    ) -> float | list[float] | Logs:
        """One training step on one batch; returns its loss and metrics as :meth:`evaluate` does.

        The metrics are reset first, as in Keras 3: the values are this batch's alone.

        >>> import numpy as np, convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> model.train_on_batch(np.ones((2, 1)), np.full((2, 1), 2.0), return_dict=True)  # before the step
        {'loss': 4.0, 'mae': 2.0}
        """
        owner = self._owner("train_on_batch")
        self._require_compiled("train_on_batch")
        if class_weight is not None and sample_weight is not None:
            raise ValueError(
                f"{owner}: arguments `sample_weight` and `class_weight` cannot be specified at the same time. "
                f"Received: sample_weight={sample_weight!r}, class_weight={class_weight!r}."
            )
        x, y, sample_weight = self._batch_arrays(x, y, sample_weight, owner)
        if class_weight is not None:
            sample_weight = sample_weights.resolve(y, None, class_weight, owner)
        self._prepare_training(x)
        self._reset_metrics()
        with _mode_kept(self):
            self.train()
            self._train_step(*self._to_device((x, y, sample_weight), owner), owner=owner)
        logs = self._logs()
        return logs if return_dict else self._ordered(logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> float | list[float] | Logs:
        """The loss and metrics of one batch, in inference mode (metrics reset first, as in Keras 3).

        >>> import numpy as np, convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="zeros")])
        >>> model.compile("sgd", "mae")
        >>> model.test_on_batch(np.ones((2, 1)), np.array([[1.0], [3.0]]))
        2.0
        """
        owner = self._owner("test_on_batch")
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._batch_arrays(x, y, sample_weight, owner)
        self._ensure_built(x)
        self._reset_metrics()
        with _mode_kept(self), torch.no_grad():
            self.eval()
            self._test_step(*self._to_device((x, y, sample_weight), owner), owner)
        logs = self._logs()
        return logs if return_dict else self._ordered(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch ``x``, in inference mode, as NumPy arrays (a structure for several outputs).

        >>> import numpy as np, convlayers
        >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="ones")])
        >>> model.predict_on_batch(np.array([[2.0]]))
        array([[2.]], dtype=float32)
        """
        owner = self._owner("predict_on_batch")
        (x,) = self._to_device((data.as_tensors(x, "x", owner),), owner)
        self._ensure_built(x)
        with _mode_kept(self), torch.no_grad():
            self.eval()
            return nest.map_structure(arrays.to_numpy, self(x))

    def _batch_arrays(self, x: Any, y: Any, sample_weight: Any, owner: str) -> tuple[Any, Any, Any]:
        batch = tuple(data.as_tensors(v, n, owner) for v, n in ((x, "x"), (y, "y"), (sample_weight, "sample_weight")))
        data.num_samples(dict(zip(("x", "y", "sample_weight"), batch)), owner)
        return batch


class _Step:
    """One batch as the metrics see it: its size, targets, predictions and weights per output, and each loss's value."""

    def __init__(
        self, batch_size: int, y_true: list[Any], y_pred: list[torch.Tensor], sample_weight: list[Any], loss_values: list[torch.Tensor]
    ) -> None:
        self.batch_size = batch_size
        self.y_true = y_true
        self.y_pred = y_pred
        self.sample_weight = sample_weight
        self.loss_values = loss_values  # each compiled loss's unweighted value, for the `<output>_loss` logs


def _unpack_validation(validation_data: Any, owner: str) -> tuple[Any, Any, Any]:
    """Keras's ``validation_data``: ``(x, y)``, ``(x, y, sample_weight)``, or a data object."""
    if sources.kind_of(validation_data) is not None:
        return validation_data, None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            f"{owner}: `validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), or a "
            f"Dataset, DataLoader or generator. Received: {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}." if isinstance(validation_data, (tuple, list)) else ".")
        )
    return tuple(validation_data) + (None,) * (3 - len(validation_data))  # type: ignore[return-value]


def _batch_for(x: Any, batch_size: int | None) -> int | None:
    """``fit``'s batch size for validation data of this kind: not for data that batches itself."""
    return None if sources.kind_of(x) in ("DataLoader", "PyDataset", "generator") else batch_size


def _check_validation_freq(validation_freq: Any, owner: str) -> None:
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, list)):
        raise ValueError(
            f"{owner}: expected `validation_freq` to be a list or int. Received: validation_freq={validation_freq!r} "
            f"of the type {type(validation_freq).__name__}."
        )


def _should_validate(epoch: int, validation_freq: int | list[int]) -> bool:
    """Keras's rule: every ``validation_freq`` epochs, or at the listed 1-based epochs."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


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

    def __init__(self, steps: int | None, shown: bool) -> None:
        self.bar = new_bar(steps) if shown else None

    def __enter__(self) -> "_Progress":
        return self

    def step(self, logs: Logs | None = None) -> None:
        if self.bar is not None:
            if logs is not None:
                self.bar.set_postfix_str(format_logs(logs), refresh=False)
            self.bar.update(1)

    def finish(self, logs: Logs) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=False)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.close()

