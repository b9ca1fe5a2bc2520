"""Keras 3 metrics: running means over an epoch, with Keras's names and accuracy rules.

A metric accumulates per-sample values batch by batch (``update_state``) and reports their
mean over everything seen since ``reset_state`` (``result``), so an epoch's accuracy is the
accuracy over all its samples, as in Keras.

``"accuracy"``/``"acc"`` picks binary, sparse categorical or categorical accuracy from the
shapes of ``y_true`` and ``y_pred``, as Keras's ``compile`` does: binary when ``y_pred``'s
last axis has size 1; sparse categorical when ``y_true`` has lower rank, or a last axis of
size 1 while ``y_pred``'s is larger; categorical otherwise. Other names: the accuracy
functions below, and the loss names of :mod:`convlayers.models.losses` (``"mae"``, ``"mse"``,
``"binary_crossentropy"``...).

>>> import torch
>>> metric = get("accuracy", torch.tensor([2, 0]), torch.zeros(2, 3))
>>> type(metric).__name__, metric.name
('SparseCategoricalAccuracy', 'accuracy')
>>> metric.update_state(torch.tensor([2, 0]), torch.tensor([[0.1, 0.2, 0.7], [0.1, 0.8, 0.1]]))
>>> metric.result()
0.5
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from ..layers.base import snake_case
from . import losses


def binary_accuracy(y_true: Tensor, y_pred: Tensor, threshold: float = 0.5) -> Tensor:
    """``mean(y_true == (y_pred > threshold), axis=-1)``."""
    predicted = (y_pred > threshold).to(y_pred.dtype)
    return (y_true.to(device=y_pred.device, dtype=y_pred.dtype) == predicted).to(y_pred.dtype).mean(-1)


def categorical_accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``argmax(y_true) == argmax(y_pred)`` per sample (one-hot targets)."""
    return (y_true.to(y_pred.device).argmax(-1) == y_pred.argmax(-1)).to(y_pred.dtype)


def _labels(y_true: Tensor, y_pred: Tensor) -> Tensor:
    labels = y_true.to(y_pred.device)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    return labels.long()


def sparse_categorical_accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``y_true == argmax(y_pred)`` per sample (integer labels)."""
    return (_labels(y_true, y_pred) == y_pred.argmax(-1)).to(y_pred.dtype)


def top_k_categorical_accuracy(y_true: Tensor, y_pred: Tensor, k: int = 5) -> Tensor:
    """Whether ``argmax(y_true)`` is among the ``k`` largest predictions."""
    target = y_true.to(y_pred.device).argmax(-1, keepdim=True)
    return (y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices == target).any(-1).to(y_pred.dtype)


def sparse_top_k_categorical_accuracy(y_true: Tensor, y_pred: Tensor, k: int = 5) -> Tensor:
    """Whether the integer label is among the ``k`` largest predictions."""
    target = _labels(y_true, y_pred).unsqueeze(-1)
    return (y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices == target).any(-1).to(y_pred.dtype)


class Metric:
    """A running mean of per-sample values; ``direction`` says whether higher is better.

    Args:
        name: the key in logs and ``History``.
        direction: ``"up"`` (accuracies) or ``"down"`` (errors); ``EarlyStopping`` and
            ``ModelCheckpoint`` read it for ``mode="auto"``.
    """

    def __init__(self, name: str, direction: str = "down") -> None:
        self.name = name
        self.direction = direction
        self.reset_state()

    def reset_state(self) -> None:
        self._total = 0.0
        self._count = 0

    def _accumulate(self, values: Tensor, sample_weight: Tensor | None = None) -> None:
        """Keras's ``Mean`` update: per-sample means, weighted by ``sample_weight`` when given.

        Unweighted, each sample counts once (its values averaged over the non-batch axes).
        Weighted, the mean is ``sum(values * w) / sum(w)``: weights of shape ``(N,)`` weigh
        whole samples, weights shaped like the values (``(N, T)``) weigh each value.
        """
        values = values.detach()
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight).to(device=values.device, dtype=values.dtype)
            values, weight = losses.squeeze_or_expand_to_same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = values.mean(dim=tuple(range(weight.ndim, values.ndim)))
            try:
                weight = weight.broadcast_to(values.shape)
            except RuntimeError:
                raise ValueError(
                    f"Metric {self.name!r}: `sample_weight` of shape {tuple(weight.shape)} does not match its per-sample "
                    f"values of shape {tuple(values.shape)}: give one weight per sample, or one per value."
                ) from None
            values = values * weight
            if weight.ndim > 1:
                weight = weight.mean(dim=tuple(range(1, weight.ndim)))
        if values.ndim > 1:
            values = values.mean(dim=tuple(range(1, values.ndim)))
        # Python floats: float64 whatever the device (some have no float64 tensors).
        self._total += float(values.sum())
        if sample_weight is not None:
            self._count += float(weight.sum())
        else:
            self._count += len(values) if values.ndim else 1

    def update_state(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None) -> None:
        raise NotImplementedError

    def result(self) -> float:
        """The (weighted) mean of every value since the last reset (0.0 before any, or for zero weights)."""
        return self._total / self._count if self._count else 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """A weighted running mean of scalars (the ``loss`` entry of the logs).

    >>> import torch
    >>> mean = Mean("loss")
    >>> mean.update_state(torch.tensor(1.0), weight=3); mean.update_state(torch.tensor(3.0), weight=1)
    >>> mean.result()
    1.5
    """

    def update_state(self, value: Tensor, weight: int = 1) -> None:  # type: ignore[override]
        self._total += float(value.detach()) * weight
        self._count += weight


class MeanMetricWrapper(Metric):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``'s per-sample values.

    >>> import torch
    >>> mae = MeanMetricWrapper(losses.mean_absolute_error, "mae")
    >>> mae.update_state(torch.tensor([[1.0], [3.0]]), torch.zeros(2, 1))
    >>> mae.result()
    2.0
    >>> mae.update_state(torch.tensor([[4.0]]), torch.zeros(1, 1), sample_weight=torch.tensor([2.0]))
    >>> mae.result()  # (1 + 3 + 2 * 4) / (1 + 1 + 2)
    3.0
    """

    def __init__(self, fn: Callable[..., Tensor], name: str, direction: str = "down", **kwargs: Any) -> None:
        super().__init__(name, direction)
        self.fn = fn
        self.kwargs = kwargs

    def update_state(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None) -> None:
        y_true, y_pred = losses.match_ranks(torch.as_tensor(y_true), y_pred)
        self._accumulate(torch.as_tensor(self.fn(y_true, y_pred, **self.kwargs)), sample_weight)


class BinaryAccuracy(MeanMetricWrapper):
    """Keras ``BinaryAccuracy``: the fraction of ``(y_pred > threshold) == y_true``."""

    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name, "up", threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """Keras ``CategoricalAccuracy`` (one-hot targets)."""

    def __init__(self, name: str = "categorical_accuracy") -> None:
        super().__init__(categorical_accuracy, name, "up")


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Keras ``SparseCategoricalAccuracy`` (integer labels)."""

    def __init__(self, name: str = "sparse_categorical_accuracy") -> None:
        super().__init__(sparse_categorical_accuracy, name, "up")


ACCURACIES: dict[str, Callable[..., Tensor]] = {
    fn.__name__: fn
    for fn in (
        binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
    )
}
# Losses that are also metrics; cosine_similarity is left out because Keras's metric of
# that name is the similarity itself, with the opposite sign of the loss.
ERRORS = {name: fn for name, fn in losses.FUNCTIONS.items() if name != "cosine_similarity"}
CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy)
}

# Keras's other metric classes live in their own modules, built on Metric above.
from .confusion_metrics import (  # noqa: E402
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision, SensitivityAtSpecificity,
    SpecificityAtSensitivity, TrueNegatives, TruePositives,
)
from .f_score_metrics import F1Score, FBetaScore  # noqa: E402
from .iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU  # noqa: E402
from .mean_metrics import (  # noqa: E402
    Accuracy, BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge, KLDivergence, LogCoshError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson, R2Score, RootMeanSquaredError, SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy, SquaredHinge, Sum, TopKCategoricalAccuracy, accuracy, cosine_similarity,
)
from . import confusion_metrics, f_score_metrics, iou_metrics, mean_metrics  # noqa: E402

for _module in (mean_metrics, confusion_metrics, f_score_metrics, iou_metrics):
    CLASSES.update(_module.CLASSES)


# Keras's `metrics.get` also takes each class's snake-case name ("precision", "auc", "r2_score").
SNAKE_CASE: dict[str, type[Metric]] = {snake_case(name): cls for name, cls in CLASSES.items()}


def accuracy_for(y_true: Tensor, y_pred: Tensor) -> Callable[..., Metric]:
    """The accuracy metric class Keras picks for these shapes (see the module docs).

    >>> import torch
    >>> accuracy_for(torch.zeros(4, 1), torch.zeros(4, 1)).__name__
    'BinaryAccuracy'
    """
    if y_pred.shape[-1] == 1:
        return BinaryAccuracy
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier: Any, y_true: Tensor, y_pred: Tensor) -> Metric:
    """The metric for a name, a :class:`Metric` or a callable, given a batch's ``y_true``/``y_pred``.

    String identifiers name the metric in the logs as written (``"acc"`` logs as ``acc``).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            return accuracy_for(y_true, y_pred)(name=identifier)
        name = losses.ALIASES.get(identifier, identifier)
        if name in ACCURACIES:
            return MeanMetricWrapper(ACCURACIES[name], identifier, "up")
        if name in ERRORS:
            return MeanMetricWrapper(ERRORS[name], identifier)
        if name in CLASSES or name in SNAKE_CASE:
            metric = (CLASSES.get(name) or SNAKE_CASE[name])()
            metric.name = identifier  # Keras's compile names a metric given by string after the string
            return metric
        allowed = ["accuracy", "acc", *sorted(ACCURACIES), *sorted(ERRORS), *sorted(losses.ALIASES), *sorted(CLASSES), *sorted(SNAKE_CASE)]
        raise ValueError(f"Unknown metric {identifier!r}. Allowed names: {', '.join(allowed)}; or pass a callable (y_true, y_pred) -> values.")
    if callable(identifier):
        return MeanMetricWrapper(identifier, getattr(identifier, "__name__", type(identifier).__name__))
    raise TypeError(
        f"Could not interpret metric {identifier!r}: expected a Keras metric name, a Metric or a callable "
        f"(y_true, y_pred) -> per-sample values. Received type {type(identifier).__name__}."
    )


def _known_name(name: str) -> bool:
    """Whether :func:`get` takes this metric name."""
    return name.lower() in ("accuracy", "acc") or losses.ALIASES.get(name, name) in {**ACCURACIES, **ERRORS, **CLASSES}


def _function_name(fn: Any) -> str | None:
    """The Keras name of a built-in metric function, or ``None`` for any other callable."""
    name = getattr(fn, "__name__", None)
    return name if ACCURACIES.get(name) is fn or ERRORS.get(name) is fn else None


def serialize(metric: Any) -> str | dict[str, Any]:
    """A metric as Keras 3 writes it in a ``compile_config``: a name as given, a metric object as Keras's serialized dict.

    A metric class keeps its class; a :class:`MeanMetricWrapper` of a built-in function is
    Keras's ``MeanMetricWrapper`` naming that function. Raises ``ValueError`` for what
    Keras cannot name (a callable, a wrapper of one).

    >>> serialize("mae"), serialize(BinaryAccuracy(threshold=0.7))["config"]
    ('mae', {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.7})
    >>> serialize(MeanMetricWrapper(losses.mean_absolute_error, "m"))["config"]["fn"]["config"]
    'mean_absolute_error'
    """
    if isinstance(metric, str):
        return metric
    if type(metric) in CLASSES.values():
        config = {"name": metric.name, "dtype": "float32", **metric.kwargs}
        return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": config, "registered_name": None}
    if type(metric) is MeanMetricWrapper and not metric.kwargs and _function_name(metric.fn):
        fn = {"module": "builtins", "class_name": "function", "config": metric.fn.__name__, "registered_name": "function"}
        config = {"name": metric.name, "dtype": "float32", "fn": fn}
        return {"module": "keras.metrics", "class_name": "MeanMetricWrapper", "config": config, "registered_name": None}
    raise ValueError(
        f"metrics.serialize: Keras names a metric by a name ('accuracy', 'mae'...), a class ({', '.join(CLASSES)}) or "
        f"a MeanMetricWrapper of a built-in metric function. Received: {metric!r}."
    )


def deserialize(config: Any) -> str | Metric:
    """The metric a Keras ``compile_config`` (or a tf.keras 2 ``training_config``) names: a name, or a :class:`Metric`.

    Takes a name (kept as a name, so ``"accuracy"`` still picks its kind from the data;
    checked), Keras's serialized function (its name), a serialized metric class, and
    ``MeanMetricWrapper`` entries whose ``fn`` is a built-in function (serialized, or a
    bare name as tf.keras 2 writes it). Raises ``ValueError`` naming what convlayers
    cannot rebuild: an unknown name, class or function, a dtype other than float32.

    >>> deserialize({"module": "keras.metrics", "class_name": "SparseCategoricalAccuracy", "config": {"name": "sca", "dtype": "float32"}})
    SparseCategoricalAccuracy(name='sca')
    >>> deserialize({"class_name": "MeanMetricWrapper", "config": {"name": "m", "dtype": "float32", "fn": "mean_absolute_error"}}).fn.__name__
    'mean_absolute_error'
    """
    if isinstance(config, str):
        if not _known_name(config):
            raise ValueError(f"Unknown metric {config!r}. convlayers rebuilds 'accuracy', 'acc', {', '.join(sorted({**ACCURACIES, **ERRORS, **CLASSES}))} and their short names.")
        return config
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"metrics.deserialize: expected a metric name or a dict with 'class_name'. Received: {config!r}.")
    class_name, arguments = config["class_name"], config.get("config")
    if class_name == "function" and isinstance(arguments, str):
        return deserialize(arguments)
    arguments = dict(arguments or {})
    dtype = arguments.pop("dtype", None)
    if dtype not in (None, "float32"):
        raise ValueError(f"Metric {class_name}: convlayers metrics are float32. Received: dtype={dtype!r}.")
    if class_name == "MeanMetricWrapper":
        fn = arguments.pop("fn", None)
        name = fn.get("config") if isinstance(fn, dict) else fn
        fn = ACCURACIES.get(name) or ERRORS.get(losses.ALIASES.get(name, name)) if isinstance(name, str) else None
        if fn is None or arguments.keys() - {"name"}:
            raise ValueError(
                f"Metric MeanMetricWrapper: convlayers rebuilds wrappers of {', '.join(sorted({**ACCURACIES, **ERRORS}))} "
                f"with no other arguments. Received config: {config.get('config')!r}."
            )
        return MeanMetricWrapper(fn, arguments.get("name", name), "up" if fn in ACCURACIES.values() else "down")
    cls = CLASSES.get(class_name)
    if cls is None:
        raise ValueError(f"Unknown metric class {class_name!r}. convlayers rebuilds {', '.join(CLASSES)}, MeanMetricWrapper, or metric names.")
    try:
        return cls(**arguments)
    except TypeError as error:
        raise ValueError(f"Metric {class_name}: {error}. Received config: {arguments!r}.") from None
