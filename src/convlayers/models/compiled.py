"""What ``compile`` makes of ``loss``, ``loss_weights``, ``metrics`` and ``weighted_metrics`` (Keras 3's rules).

A model's output is one tensor, or a list/tuple/dict of tensors. Output names come from
the model's ``output_names`` when it has them (a functional ``Model`` does), else from the
keys of a dict output. Everything is resolved on the first batch, as Keras does (the
``"accuracy"`` metric depends on the shapes):

- ``loss``: one loss for a single output, or applied to every output; a list with one entry
  per output; or a dict by output name. ``None`` entries leave an output without loss.
- ``loss_weights``: a float (one loss), or a list/dict with the structure of ``loss``; the
  total loss is the weighted sum.
- ``metrics``/``weighted_metrics``: a list for a single output; for several, a list with one
  entry (a metric or a list of them) per output, or a dict by output name. Only
  ``weighted_metrics`` see the sample weights.
- log names: ``loss`` (the total, regularization included); with several losses,
  ``<output>_loss`` for each (unweighted); metrics as named, prefixed ``<output>_`` for a
  named output of a multi-output model; a repeated name gets ``_1``, ``_2``...; a weighted
  metric named like an unweighted one gets ``weighted_``.
- targets and sample weights are matched to outputs as the outputs are: by position, or by
  name for dicts; one ``y`` for a single-output list; a single sample-weight array serves
  every output.
"""

from __future__ import annotations

from typing import Any

import torch

from . import losses, nest
from . import metrics as metrics_module


class Outputs:
    """The flat order and names of a model's outputs, read from a first ``y_pred``.

    >>> outputs = Outputs({"b": torch.zeros(1), "a": torch.zeros(1)}, None)
    >>> outputs.names, outputs.count
    (['a', 'b'], 2)
    """

    def __init__(self, y_pred: Any, model_names: list[str] | None) -> None:
        self.single = not nest.is_nested(y_pred)
        self.count = len(nest.flatten(y_pred))
        self.is_dict = isinstance(y_pred, dict)
        if self.is_dict:
            keys = list(y_pred)
            self.names: list[str] | None = list(model_names) if model_names and set(model_names) == set(keys) else sorted(keys)
        else:
            self.names = list(model_names) if model_names and len(model_names) == self.count else None
        self.structure = nest.structure(y_pred)

    def flatten(self, value: Any) -> list[Any]:
        """A ``y_pred`` (or a structure like it) as a list in output order."""
        if self.single:
            return [value]
        if isinstance(value, dict) and self.names is not None:
            return [value[name] for name in self.names]
        return nest.flatten(value)

    def describe(self) -> str:
        return f"outputs {self.names}" if self.names else f"{self.count} outputs"

    def match(self, value: Any, argument: str, needed: list[bool], owner: str) -> list[Any]:
        """``y`` or ``sample_weight`` as one entry per output (``None`` where not given).

        ``needed[i]`` says whether output ``i`` has a loss: a structure with one entry per
        such output fills those in order, as Keras does when a loss is given for some outputs only.
        """
        if self.single:
            if isinstance(value, dict) and len(value) == 1:
                return list(value.values())
            if nest.is_nested(value) and len(value) == 1:
                return [value[0]]
            if nest.is_nested(value):
                raise ValueError(f"{owner}: the model has one output, but `{argument}` is a structure of {len(nest.flatten(value))} arrays.")
            return [value]
        if isinstance(value, dict):
            if self.names is None:
                raise ValueError(f"{owner}: `{argument}` is a dict, but the model's outputs have no names; pass a list.")
            unknown = sorted(set(value) - set(self.names))
            if unknown:
                raise ValueError(f"{owner}: `{argument}` has keys {unknown} that are not output names; the outputs are {self.names}.")
            return [value.get(name) for name in self.names]
        if nest.is_nested(value):
            entries = list(value)
            if len(entries) == self.count:
                return entries
            if len(entries) == sum(needed):
                filled = iter(entries)
                return [next(filled) if need else None for need in needed]
            raise ValueError(
                f"{owner}: `{argument}` has {len(entries)} entries but the model has {self.describe()}: give one "
                f"per output (a list, or a dict by output name)."
            )
        if self.count == 1:
            return [value]
        raise ValueError(
            f"{owner}: the model has {self.describe()}, so `{argument}` must be a list or dict of one array per output. "
            f"Received a single array of shape {tuple(getattr(value, 'shape', ()))}."
        )


def _per_output(spec: Any, outputs: Outputs, argument: str, owner: str) -> list[Any]:
    """``loss`` (or ``loss_weights``) as one entry per output."""
    if isinstance(spec, dict):
        if outputs.names is None:
            raise ValueError(f"{owner}: `{argument}` is a dict, but the model's outputs have no names; pass a list.")
        unknown = sorted(set(spec) - set(outputs.names))
        # Keras requires every output of a list-output model to be named in a `loss` dict.
        missing = sorted(set(outputs.names) - set(spec)) if not outputs.is_dict and not outputs.single else []
        if unknown or missing:
            raise ValueError(f"{owner}: expected keys {outputs.names} in `{argument}`, but found {argument}.keys()={list(spec)}.")
        return [spec.get(name) for name in outputs.names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != outputs.count:
            raise ValueError(
                f"{owner}: `{argument}` has {len(spec)} entries but the model has {outputs.describe()}: give one per "
                f"output, or one {argument.rstrip('s')} for all. Received: {argument}={spec!r}."
            )
        return list(spec)
    return [spec] * outputs.count


class CompiledLoss:
    """The total loss over a model's outputs, with the per-output ``<name>_loss`` trackers.

    >>> outputs = Outputs([torch.zeros(2, 1), torch.zeros(2, 1)], ["a", "b"])
    >>> total = CompiledLoss({"a": "mse", "b": "mae"}, {"a": 1.0, "b": 0.5}, "fit")
    >>> total.build(outputs, "fit")
    >>> total([torch.ones(2, 1), torch.ones(2, 1)], [torch.zeros(2, 1), torch.zeros(2, 1)], [None, None], "fit")
    tensor(1.5000)
    >>> [(tracker.name, tracker.result()) for tracker in total.trackers]
    [('a_loss', 1.0), ('b_loss', 1.0)]
    """

    def __init__(self, loss: Any, loss_weights: Any, owner: str) -> None:
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict, float)):
            raise ValueError(
                f"{owner}: `loss_weights` must be a float (single output) or a list, tuple or dict (multiple outputs). "
                f"Received: loss_weights={loss_weights!r} of type {type(loss_weights).__name__}."
            )
        self.loss = loss
        self.loss_weights = loss_weights
        self.entries: list[tuple[int, losses.Loss, float | None, str]] = []
        self.trackers: list[metrics_module.Mean] = []
        self.needed: list[bool] = []
        self.named_outputs = False
        self.built = False

    def build(self, outputs: Outputs, owner: str) -> None:
        per_output = [None if spec is None else losses.get(spec) for spec in _per_output(self.loss, outputs, "loss", owner)]
        weights = self._weights(outputs, owner)
        self.entries, self.trackers = [], []
        self.needed = [loss is not None for loss in per_output]  # which outputs have a loss
        self.named_outputs = outputs.names is not None  # else entries are named by their loss
        for index, loss in enumerate(per_output):
            if loss is not None:
                name = outputs.names[index] if outputs.names else loss.name
                self.entries.append((index, loss, weights[index], name))
        if len(self.entries) > 1:
            self.trackers = [metrics_module.Mean(f"{name}_loss") for *_, name in self.entries]
        self.built = True

    def _weights(self, outputs: Outputs, owner: str) -> list[float | None]:
        weights = self.loss_weights
        if weights is None:
            return [None] * outputs.count
        if not nest.is_nested(self.loss) and not isinstance(self.loss, (list, tuple, dict)):
            # One loss: one weight (Keras: the weights take the structure of `loss`).
            if isinstance(weights, float):
                return [weights] * outputs.count
            flat = list(weights.values()) if isinstance(weights, dict) else list(weights)
            if len(flat) != 1:
                raise ValueError(f"{owner}: `loss_weights` must match the number of losses, got 1 loss and {len(flat)} weights.")
            return flat * outputs.count
        if isinstance(weights, float):
            raise ValueError(f"{owner}: `loss_weights` must match the number of losses, got {len(self.loss)} losses and 1 weight.")
        if isinstance(self.loss, dict) and isinstance(weights, dict) and set(weights) != set(self.loss):
            raise ValueError(f"{owner}: `loss_weights` must have the keys of `loss` {sorted(self.loss)}. Received: {sorted(weights)}.")
        if isinstance(self.loss, dict) and not isinstance(weights, dict):
            weights = dict(zip(sorted(self.loss), weights))  # Keras packs a flat list in the dict's (sorted) order
        return _per_output(weights, outputs, "loss_weights", owner)

    def __call__(self, y_true: list[Any], y_pred: list[torch.Tensor], sample_weight: list[Any], owner: str) -> torch.Tensor:
        total, values = self.compute(y_true, y_pred, sample_weight, owner)
        self.track(values, len(y_pred[0]))
        return total

    def compute(
        self, y_true: list[Any], y_pred: list[torch.Tensor], sample_weight: list[Any], owner: str
    ) -> tuple[torch.Tensor | None, list[torch.Tensor]]:
        """The weighted total and each loss's unweighted value, without touching the trackers.

        Pure tensor work, so ``torch.compile`` traces it whole (a tracker update reads a float).
        """
        total, values = None, []
        for index, loss, weight, name in self.entries:
            if y_true[index] is None:
                what = f"output {name!r}" if self.named_outputs else f"the loss {name!r}"
                raise ValueError(f"{owner}: no target for {what}; pass `y` (or yield (x, y) batches).")
            prediction = y_pred[index]
            if prediction.dtype in (torch.float16, torch.bfloat16):
                # Keras computes losses in float32 (its Loss's dtype is floatx): a float16 loss
                # would round away the small differences that training follows.
                prediction = prediction.float()
            try:
                # Unweighted, a loss is called as (y_true, y_pred): Loss subclasses of that form keep working.
                arguments = (y_true[index], prediction) if sample_weight[index] is None else (y_true[index], prediction, sample_weight[index])
                value = loss(*arguments)
            except ValueError as error:
                raise ValueError(f"{owner}: {error}") from None
            values.append(value)
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total, values

    def track(self, values: list[torch.Tensor], batch_size: int) -> None:
        """Add a batch's per-loss values (from :meth:`compute`) to the ``<name>_loss`` trackers."""
        for tracker, value in zip(self.trackers, values):
            tracker.update_state(value.detach(), weight=batch_size)

    def reset(self) -> None:
        for tracker in self.trackers:
            tracker.reset_state()


class CompiledMetrics:
    """``metrics`` and ``weighted_metrics`` per output, with Keras's log names.

    >>> y_true, y_pred = [torch.tensor([[1.0], [3.0]])], [torch.zeros(2, 1)]
    >>> compiled = CompiledMetrics(["mae"], ["mae"], "fit")
    >>> compiled.build(Outputs(y_pred[0], None), y_true, y_pred, "fit")
    >>> compiled.update(y_true, y_pred, [torch.tensor([1.0, 0.0])])
    >>> compiled.results()
    {'mae': 2.0, 'weighted_mae': 1.0}
    """

    def __init__(self, metrics: Any, weighted_metrics: Any, owner: str) -> None:
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise TypeError(f"{owner}: `{argument}` must be a list, tuple or dict. Received: {argument}={value!r}.")
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics
        # (output index, log prefix or None, metric) for each; weighted ones apart.
        self.plain: list[tuple[int, str | None, metrics_module.Metric]] = []
        self.weighted: list[tuple[int, str | None, metrics_module.Metric]] = []
        self.built = False

    def build(self, outputs: Outputs, y_true: list[Any], y_pred: list[torch.Tensor], owner: str) -> None:
        self.plain = self._make(self.metrics, "metrics", outputs, y_true, y_pred, owner)
        self.weighted = self._make(self.weighted_metrics, "weighted_metrics", outputs, y_true, y_pred, owner)
        self.built = True

    @staticmethod
    def _make(spec: Any, argument: str, outputs: Outputs, y_true: list[Any], y_pred: list[torch.Tensor], owner: str) -> list:
        if not spec:
            return []
        if outputs.count == 1:
            return [(0, None, metrics_module.get(m, _tensor(y_true[0]), y_pred[0])) for m in spec_leaves(spec) if m is not None]
        if isinstance(spec, (list, tuple)) and len(spec) == outputs.count:
            per_output = list(spec)
        elif isinstance(spec, dict) and outputs.names and set(spec) <= set(outputs.names):
            per_output = [spec.get(name) for name in outputs.names]
        else:
            raise ValueError(
                f"{owner}: invalid `{argument}` for a model with {outputs.describe()}: give a list with one entry "
                f"(a metric or a list of metrics) per output, or a dict by output name. Received: {argument}={spec!r}."
            )
        made = []
        for index, entry in enumerate(per_output):
            prefix = outputs.names[index] if outputs.names else None
            for m in [] if entry is None else entry if isinstance(entry, (list, tuple)) else [entry]:
                made.append((index, prefix, metrics_module.get(m, _tensor(y_true[index]), y_pred[index])))
        return made

    @property
    def all(self) -> list[metrics_module.Metric]:
        return [metric for *_, metric in self.plain + self.weighted]

    def update(self, y_true: list[Any], y_pred: list[torch.Tensor], sample_weight: list[Any]) -> None:
        for index, _, metric in self.plain:
            metric.update_state(y_true[index], y_pred[index])
        for index, _, metric in self.weighted:
            metric.update_state(y_true[index], y_pred[index], sample_weight[index])

    def reset(self) -> None:
        for metric in self.all:
            metric.reset_state()

    def results(self) -> dict[str, float]:
        """``{log name: value}``: prefixed by output, repeats numbered, weighted repeats ``weighted_``."""
        results: dict[str, float] = {}
        counters: dict[str, int] = {}
        for _, prefix, metric in self.plain:
            name = _prefixed(prefix, metric.name)
            if name in counters:
                counters[name] += 1
                name = f"{name}_{counters[name] - 1}"
            else:
                counters[name] = 1
            results[name] = metric.result()
        for _, prefix, metric in self.weighted:
            name = _prefixed(prefix, metric.name)
            if name in counters:
                name = _prefixed(prefix, f"weighted_{metric.name}")
                if name in counters:
                    counters[name] += 1
                    name = f"{name}_{counters[name] - 1}"
                else:
                    counters[name] = 1
            else:
                counters[name] = 1
            results[name] = metric.result()
        return results


def spec_leaves(spec: Any) -> list[Any]:
    """The entries of a ``loss``/``metrics`` argument, lists and dicts (by sorted key) opened.

    >>> spec_leaves(["mae", {"b": "mse", "a": ["acc"]}])
    ['mae', 'acc', 'mse']
    """
    if isinstance(spec, dict):
        return [leaf for key in sorted(spec) for leaf in spec_leaves(spec[key])]
    if isinstance(spec, (list, tuple)):
        return [leaf for item in spec for leaf in spec_leaves(item)]
    return [spec]


def _prefixed(prefix: str | None, name: str) -> str:
    return f"{prefix}_{name}" if prefix else name


def _tensor(value: Any) -> Any:
    return torch.as_tensor(value) if value is not None else torch.zeros(0)
